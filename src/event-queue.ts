/** A wait for the next event ran past its time limit. */
export class PollTimeoutError extends Error {
  /** "TimeoutError", the name of the DOMException an `AbortSignal.timeout()` rejects with, so one check covers both. */
  override readonly name = "TimeoutError";
}

/**
 * What a consumer has to hand out, in the order it happened: messages, rebalance events, errors. It is
 * passive — it fetches nothing itself; the session pushes, the consumer's face takes — and it lets a
 * taker wait for the next push, as long as its signal and deadline allow.
 */
export class EventQueue<T> {
  #items: T[] = [];
  /** Index of the first item not taken: shifting an array per message would copy it each time. */
  #head = 0;
  readonly #waiters = new Set<() => void>();

  constructor(
    /** Named in timeout errors, e.g. the consumer's config key. */
    private readonly name: string,
  ) {}

  /** Items not taken yet. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds events at the end and wakes every waiter. */
  push(...items: T[]): void {
    this.pushAll(items);
  }

  /** Adds a list of events at the end (a fetch's messages: no spread of hundreds of arguments) and wakes every waiter. */
  pushAll(items: readonly T[]): void {
    if (items.length === 0) return;
    if (this.length === 0) {
      this.#items = items.slice();
      this.#head = 0;
    } else {
      for (const item of items) this.#items.push(item);
    }
    this.wake();
  }

  /** Takes the oldest item, if any. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head]!;
    this.#take(this.#head + 1);
    return item;
  }

  /**
   * Takes the oldest items for as long as `accept` says yes, at most `max` of them (the first one is
   * judged like the rest).
   */
  shiftWhile(max: number, accept: (item: T) => boolean): T[] {
    const items = this.#items;
    const limit = Math.min(items.length, this.#head + max);
    let end = this.#head;
    while (end < limit && accept(items[end]!)) end++;
    const taken = items.slice(this.#head, end);
    this.#take(end);
    return taken;
  }

  /** Moves the head to `head`, letting go of the taken part: at once when nothing is left, else now and then. */
  #take(head: number): void {
    this.#head = head;
    if (head >= this.#items.length) {
      // Taken items would otherwise stay reachable from the list until it is next cut.
      this.#items = [];
      this.#head = 0;
    } else if (head >= 1024 && head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(head);
      this.#head = 0;
    }
  }

  /** Removes every item not taken yet (a seek makes them stale). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  /** Wakes every waiter without adding anything (a fetch ended, the consumer closes). */
  wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * Resolves on the next push or wake. Rejects with the signal's reason when `signal` aborts, and with
   * a {@link PollTimeoutError} at `deadline` (a Date.now() time; Infinity for none).
   */
  waitForPush(signal: AbortSignal | undefined, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        reject(new PollTimeoutError(`${this.name}: poll timed out`));
        return;
      }
      const done = () => {
        this.#waiters.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        if (timer !== undefined) clearTimeout(timer);
      };
      const wake = () => {
        done();
        resolve();
      };
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      const timer =
        deadline === Infinity
          ? undefined
          : setTimeout(() => {
              done();
              reject(new PollTimeoutError(`${this.name}: poll timed out after waiting ${Math.round(remaining)} ms`));
            }, remaining);
      this.#waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
