/**
 * Counts handled messages and times them from the first to the `target`-th, so that joining the group
 * (which every contender does differently) is not part of the measurement.
 */
export class HandledCounter {
  count = 0;
  #first = 0;
  #last = 0;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor(readonly target: number) {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }

  handled(): void {
    this.handledMany(1);
  }

  /** `n` messages handled at once (a batch). */
  handledMany(n: number): void {
    if (this.count === 0) this.#first = performance.now();
    const before = this.count;
    this.count += n;
    if (before < this.target && this.count >= this.target) {
      this.#last = performance.now();
      this.#resolve();
    }
  }

  /** Resolves once the target is reached; rejects after `timeoutMs` saying how far it got. */
  finished(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`handled ${this.count} of ${this.target} messages in ${timeoutMs / 1000} s`)), timeoutMs);
    });
    return Promise.race([this.done, timedOut]).finally(() => clearTimeout(timer));
  }

  /** Seconds from the first handled message to the target-th. */
  get seconds(): number {
    return (this.#last - this.#first) / 1000;
  }
}
