import { Fifo } from "./fifo.js";

/** What the scheduler tells its owner as work goes on. */
export interface SchedulerHooks<T> {
  /**
   * An item's work rejected. Its lane is halted: its queued items are dropped and items pushed to it
   * later are refused, so nothing after the failed item in that lane ever runs.
   */
  onFailure?(lane: string, item: T, error: unknown): void;
  /** An item's work settled; `queued` is what is left in its lane (not started yet). */
  onSettled?(lane: string, item: T, queued: number): void;
}

interface Lane<T> {
  readonly queue: Fifo<T>;
  running: boolean;
  /** Waits in the ready queue for a slot (see `maxRunning`). */
  ready: boolean;
  /** Weight of the running item (0 when none). */
  runningWeight: number;
  /** Weight of the queued items. */
  queuedWeight: number;
  halted: boolean;
  /** Counts toward `maxRunning` (asked once, when the lane is made). */
  limited: boolean;
}

/** Idle lanes kept for reuse, at most: a key lane is made and dropped for nearly every message when handlers keep up. */
const SPARE_LANES = 64;

/** An item whose work finished, waiting to be settled. */
interface Finished<T> {
  readonly key: string;
  readonly lane: Lane<T>;
  readonly item: T;
  readonly failed: boolean;
  readonly error: unknown;
}

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: () => void;
}

/** Which lanes a {@link PartitionScheduler.drop} or {@link PartitionScheduler.whenIdle} concerns: these keys, or those a test accepts. */
export type LaneFilter = ReadonlySet<string> | ((lane: string) => boolean);

/** How many lanes may run at once, and which lanes that limit concerns. */
export interface SchedulerLimit {
  /** Lanes running at once, at most (default: no limit). Lanes waiting for a slot start in the order they became ready. */
  maxRunning: number;
  /** Whether `lane` counts toward the limit (default: every lane). */
  limited?: (lane: string) => boolean;
}

/**
 * Runs work items in lanes — one lane per partition, or per key of a partition — so that the items of
 * one lane run strictly one after the other, in the order they were pushed, while different lanes run
 * in parallel, at most `maxRunning` at once. This is what lets a consumer handle partitions (or keys)
 * concurrently without ever handling a message of a lane before the one in front of it.
 *
 * The scheduler itself never limits how much is queued; its owner reads {@link size} and
 * {@link laneLength} and waits with {@link whenSizeBelow} (a global bound of 1 makes it strictly
 * sequential). Sizes count items, or what `weigh` says an item weighs (a batch: its messages). Pure
 * logic: no Kafka, no timers.
 */
export class PartitionScheduler<T> {
  readonly #lanes = new Map<string, Lane<T>>();
  readonly #work: (item: T) => Promise<void> | void;
  readonly #hooks: SchedulerHooks<T>;
  readonly #weigh: (item: T) => number;
  readonly #limit: Required<SchedulerLimit>;
  /** Lanes with work waiting for a slot, in the order they became ready. */
  readonly #ready = new Fifo<string>();
  /** Limited lanes running now. */
  #running = 0;
  #waiters: Waiter[] = [];
  #size = 0;
  /** Weight of the items running now, over all lanes. */
  #runningWeight = 0;
  #interrupted = false;
  /** Items finished and not settled yet, and whether a loop is settling them (see #finished). */
  readonly #settling = new Fifo<Finished<T>>();
  #draining = false;
  /** Idle lane objects, emptied, for the next lane made (see SPARE_LANES). */
  readonly #spare: Lane<T>[] = [];

  /**
   * @param work runs one item; a rejection halts the item's lane (see {@link SchedulerHooks.onFailure})
   * @param weigh what an item counts for in {@link size} and {@link laneLength} (default 1)
   */
  constructor(
    work: (item: T) => Promise<void> | void,
    hooks: SchedulerHooks<T> = {},
    weigh: (item: T) => number = () => 1,
    limit: SchedulerLimit = { maxRunning: Infinity },
  ) {
    this.#work = work;
    this.#hooks = hooks;
    this.#weigh = weigh;
    this.#limit = { limited: () => true, ...limit };
  }

  /** Items queued or running, over all lanes. */
  get size(): number {
    return this.#size;
  }

  /** Items queued and not started yet, over all lanes. */
  get waiting(): number {
    return this.#size - this.#runningWeight;
  }

  /** Items queued or running in `lane`. */
  laneLength(lane: string): number {
    const found = this.#lanes.get(lane);
    return found === undefined ? 0 : found.queuedWeight + found.runningWeight;
  }

  /** Whether an item of `lane` failed (and the lane refuses work). */
  isHalted(lane: string): boolean {
    return this.#lanes.get(lane)?.halted === true;
  }

  /**
   * Queues `item` at the end of `lane`; it starts at once when the lane is free (and, when its work
   * finishes synchronously, settles before push returns: count it as held before pushing).
   * @returns false when the lane is halted and the item was refused
   */
  push(lane: string, item: T): boolean {
    let found = this.#lanes.get(lane);
    if (found === undefined) {
      found = this.#newLane(this.#limit.limited(lane));
      this.#lanes.set(lane, found);
    }
    if (found.halted) return false;
    const weight = this.#weigh(item);
    found.queue.push(item);
    found.queuedWeight += weight;
    this.#size += weight;
    this.#pump(lane, found);
    return true;
  }

  /**
   * Removes the items that have not started, in every lane or in those `lanes`, and returns them —
   * except those `keep` accepts, which stay queued in their order. Running items are left to finish.
   */
  drop(lanes?: LaneFilter, keep?: (item: T) => boolean): T[] {
    const dropped: T[] = [];
    for (const [key, lane] of this.#lanes) {
      if (lanes !== undefined && !matches(lanes, key)) continue;
      for (const item of lane.queue.drain()) {
        if (keep?.(item) === true) lane.queue.push(item);
        else {
          dropped.push(item);
          const weight = this.#weigh(item);
          lane.queuedWeight -= weight;
          this.#size -= weight;
        }
      }
    }
    this.#check();
    return dropped;
  }

  /** Resolves once fewer than `limit` items are queued or running (or {@link interrupt} was called). */
  whenSizeBelow(limit: number): Promise<void> {
    return this.#wait(() => this.#size < limit);
  }

  /** Resolves once nothing is queued or running in `lanes` — in any lane when not given (or on interrupt). */
  whenIdle(lanes?: LaneFilter): Promise<void> {
    return this.#wait(() => (lanes === undefined ? this.#size === 0 : this.#idle(lanes)));
  }

  #idle(lanes: LaneFilter): boolean {
    for (const [key, lane] of this.#lanes) if (matches(lanes, key) && lane.queuedWeight + lane.runningWeight > 0) return false;
    return true;
  }

  /** Resolves every pending and future wait at once: the owner is stopping and must not block on work. */
  interrupt(): void {
    this.#interrupted = true;
    this.#check();
  }

  #wait(done: () => boolean): Promise<void> {
    if (this.#interrupted || done()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ done, resolve }));
  }

  #newLane(limited: boolean): Lane<T> {
    const spare = this.#spare.pop();
    if (spare === undefined)
      return { queue: new Fifo<T>(), running: false, ready: false, runningWeight: 0, queuedWeight: 0, halted: false, limited };
    spare.limited = limited;
    return spare;
  }

  #pump(key: string, lane: Lane<T>): void {
    if (lane.running || lane.halted || lane.ready) return;
    if (lane.queue.length === 0) {
      this.#lanes.delete(key); // an idle lane is made again when needed; halted lanes stay to refuse work
      if (this.#spare.length < SPARE_LANES) this.#spare.push(lane); // idle: not running, not ready, nothing queued
      return;
    }
    const limited = lane.limited;
    if (limited && this.#running >= this.#limit.maxRunning) {
      lane.ready = true;
      this.#ready.push(key);
      return;
    }
    if (limited) this.#running++;
    const item = lane.queue.shift()!;
    const weight = this.#weigh(item);
    lane.queuedWeight -= weight;
    lane.running = true;
    lane.runningWeight = weight;
    this.#runningWeight += weight;
    this.#run(key, lane, item);
  }

  /**
   * Runs an item. Work that finishes synchronously (a handler that returned no promise) settles
   * without a promise or a microtask — what a CPU-only handler in key or unordered lanes would
   * otherwise pay per message.
   */
  #run(key: string, lane: Lane<T>, item: T): void {
    let result: Promise<void> | void;
    try {
      result = this.#work(item);
    } catch (error) {
      this.#finished(key, lane, item, true, error);
      return;
    }
    if (result === undefined) {
      this.#finished(key, lane, item, false, undefined);
      return;
    }
    result.then(
      () => this.#finished(key, lane, item, false, undefined),
      (error: unknown) => this.#finished(key, lane, item, true, error),
    );
  }

  /**
   * Settles finished items one after the other: an item that finished synchronously while another was
   * settling (its lane started by that settle) is settled by the loop already running, so a run of
   * synchronous work never deepens the stack. Positional, and queued only when another is settling:
   * no object per item for the common case.
   */
  #finished(key: string, lane: Lane<T>, item: T, failed: boolean, error: unknown): void {
    if (this.#draining) {
      this.#settling.push({ key, lane, item, failed, error });
      return;
    }
    this.#draining = true;
    try {
      this.#settle(key, lane, item, failed, error);
      for (let next = this.#settling.shift(); next !== undefined; next = this.#settling.shift()) {
        this.#settle(next.key, next.lane, next.item, next.failed, next.error);
      }
    } finally {
      this.#draining = false;
    }
  }

  #settle(key: string, lane: Lane<T>, item: T, failed: boolean, error: unknown): void {
    if (failed) {
      lane.halted = true;
      lane.queue.drain();
      this.#size -= lane.queuedWeight;
      lane.queuedWeight = 0;
      this.#notify(() => this.#hooks.onFailure?.(key, item, error));
    }
    lane.running = false;
    if (lane.limited) this.#running--;
    this.#size -= lane.runningWeight;
    this.#runningWeight -= lane.runningWeight;
    lane.runningWeight = 0;
    try {
      this.#hooks.onSettled?.(key, item, lane.queuedWeight);
    } catch {
      // as #notify: a hook that throws must not wedge the lane (no closure here: this runs per item)
    }
    // Lanes waiting for a slot go first; this lane's next item queues behind them.
    this.#startReady();
    this.#pump(key, lane);
    this.#check();
  }

  #startReady(): void {
    while (this.#ready.length > 0 && this.#running < this.#limit.maxRunning) {
      const key = this.#ready.shift()!;
      const lane = this.#lanes.get(key);
      if (lane === undefined || !lane.ready) continue;
      lane.ready = false;
      this.#pump(key, lane);
    }
  }

  // A hook that throws must not wedge the lane.
  #notify(hook: () => void): void {
    try {
      hook();
    } catch {
      // the owner's hooks report their own problems; nothing sensible to do here
    }
  }

  #check(): void {
    if (this.#ready.length > 0) this.#startReady(); // a drop may have emptied lanes that held slots' turn
    if (this.#waiters.length === 0) return;
    const pending: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (this.#interrupted || waiter.done()) waiter.resolve();
      else pending.push(waiter);
    }
    this.#waiters = pending;
  }
}

function matches(filter: LaneFilter, lane: string): boolean {
  return typeof filter === "function" ? filter(lane) : filter.has(lane);
}
