/**
 * A first-in, first-out queue whose `shift` costs the same however long the queue is. `Array.shift`
 * moves every element left: taking 20,000 items one by one from an array took over a second here, and a
 * partition lane holds up to `maxQueuedPerPartition` (1,000 by default) messages.
 */
export class Fifo<T> {
  #items: Array<T | undefined> = [];
  /** Index of the first item. */
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the first item; undefined when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined; // not kept alive by the queue
    // Taken items are dropped in bulk once they are half the array: amortised O(1) per item.
    if (this.#head === this.#items.length) this.#reset();
    else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item, first first. */
  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.#reset();
    return items;
  }

  // Emptied in place, not replaced: a lane's queue empties after nearly every message when handlers keep up.
  #reset(): void {
    this.#items.length = 0;
    this.#head = 0;
  }
}
