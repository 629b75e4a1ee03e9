/** End-to-end latencies (write → handler) of the current second, for the live line's p50/p99. */
export class Latencies {
  #window: number[] = [];

  /** One message's latency in milliseconds. */
  record(ms: number): void {
    this.#window.push(ms);
  }

  /** p50 and p99 of what was recorded since the previous call (undefined when nothing was), then starts a new second. */
  takeSecond(): { p50: number; p99: number } | undefined {
    const window = this.#window.sort((a, b) => a - b);
    this.#window = [];
    if (window.length === 0) return undefined;
    return { p50: nearestRank(window, 0.5), p99: nearestRank(window, 0.99) };
  }
}

function nearestRank(sorted: readonly number[], quantile: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? 0;
}
