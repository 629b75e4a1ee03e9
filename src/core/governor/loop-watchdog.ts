/**
 * Notices when the event loop was blocked: a timer ticks every `tickMs`, and a tick that comes much
 * later than due means nothing else could run meanwhile (HTTP probes, Kafka callbacks, heartbeats).
 */
export class LoopWatchdog {
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  #lastStall: { at: number; ms: number } | undefined;

  constructor(private readonly tickMs = 500) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#lastTick = performance.now();
    this.#timer = setInterval(() => this.#tick(), this.tickMs);
    this.#timer.unref(); // observing must not keep the process alive
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The longest stall that ended within `withinMs`, if one lasted `atLeastMs` or more. */
  recentStall(atLeastMs: number, withinMs: number, now = performance.now()): { ms: number; agoMs: number } | undefined {
    const stall = this.#lastStall;
    if (stall === undefined || stall.ms < atLeastMs || now - stall.at > withinMs) return undefined;
    return { ms: Math.round(stall.ms), agoMs: Math.round(now - stall.at) };
  }

  #tick(): void {
    const now = performance.now();
    const lateMs = now - this.#lastTick - this.tickMs;
    this.#lastTick = now;
    if (lateMs > 0 && (this.#lastStall === undefined || lateMs >= this.#lastStall.ms || now - this.#lastStall.at > 60_000)) {
      this.#lastStall = { at: now, ms: lateMs };
    }
  }
}
