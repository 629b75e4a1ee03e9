/** What the demo counts; the live line shows the change per second. */
export class Counters {
  produced = 0;
  consumed = 0;
  errors = 0;
  #last = { produced: 0, consumed: 0, at: performance.now() };

  /** Messages per second produced and consumed since the previous call. */
  rates(): { produced: number; consumed: number } {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#last.at) / 1000);
    const rates = { produced: (this.produced - this.#last.produced) / seconds, consumed: (this.consumed - this.#last.consumed) / seconds };
    this.#last = { produced: this.produced, consumed: this.consumed, at: now };
    return rates;
  }
}
