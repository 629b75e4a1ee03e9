import { delay } from "./delay.js";
import type { PartitionPauses } from "./partition-pauses.js";

// Node fires a longer timer at once; a longer wait is taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Holds a record back until its due time (retry tiers), with its partition paused meanwhile: no
 * fetching for it and no sleeping handler, while other partitions and subscriptions go on. A
 * revocation abandons the waits of its partitions, a stop all of them: those records stay uncommitted
 * and are read again by whoever reads next.
 */
export class DueGate {
  readonly #waits = new Map<string, AbortController>();

  constructor(
    private readonly stopped: AbortSignal,
    private readonly pauses: PartitionPauses,
  ) {}

  /**
   * Waits until `dueMs` (ms since the epoch).
   * @returns true when the time came; false when the wait was abandoned (revocation, stop)
   */
  async until(lane: string, partition: { topic: string; partition: number }, dueMs: number): Promise<boolean> {
    if (this.stopped.aborted) return false;
    if (dueMs <= Date.now()) return true;
    const wait = new AbortController();
    this.#waits.set(lane, wait);
    this.pauses.waiting(lane, partition, true);
    const signal = AbortSignal.any([wait.signal, this.stopped]);
    // A timer may fire a little early on a coarse clock: wait until the time has really come.
    let due = true;
    for (let waitMs = dueMs - Date.now(); due && waitMs > 0; waitMs = dueMs - Date.now())
      due = await delay(Math.min(waitMs, MAX_TIMER_MS), signal);
    this.#waits.delete(lane);
    this.pauses.waiting(lane, partition, false);
    return due;
  }

  /** Ends the waits of `lanes` (revoked): their records are left for the next owner. */
  abandon(lanes: ReadonlySet<string>): void {
    for (const lane of lanes) this.#waits.get(lane)?.abort();
  }
}
