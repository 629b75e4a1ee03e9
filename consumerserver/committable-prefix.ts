import type { Message } from "../src/index.js";

/** One partition's messages handed to lanes, in offset order, from the first one not done. */
interface Pending {
  readonly messages: Message[];
  /** Index of the first message not done. */
  head: number;
  /** Offsets done out of order, past the head. */
  readonly done: Set<number>;
}

// Past this many finished entries at the front, the array is compacted.
const COMPACT_AT = 1024;

/**
 * The committable-prefix rule, as Confluent's Parallel Consumer applies it: when messages of one
 * partition may finish out of order (`ordering = "key"` or `"unordered"`), the offset stored for the
 * partition is always that of the last message of its contiguous run of done messages — so the
 * committed offset is the first message not done yet, and a crash re-reads at most what was in flight
 * or done after a gap. The only place where the engine decides which offset of a partition may be
 * stored when its messages run in lanes.
 */
export class CommittablePrefix {
  readonly #partitions = new Map<string, Pending>();

  /** A message was handed to a lane (call in offset order per partition). */
  track(partition: string, message: Message): void {
    let pending = this.#partitions.get(partition);
    if (pending === undefined) this.#partitions.set(partition, (pending = { messages: [], head: 0, done: new Set() }));
    pending.messages.push(message);
  }

  /**
   * A message was handled.
   * @returns the message whose offset may now be stored (the last of the run that became done), or
   *   undefined when a message before it is still not done
   */
  done(partition: string, message: Message): Message | undefined {
    const pending = this.#partitions.get(partition);
    if (pending === undefined) return undefined; // forgotten: revoked meanwhile
    if (pending.messages[pending.head] !== message) {
      pending.done.add(message.offset);
      return undefined;
    }
    let last = message;
    pending.head++;
    for (
      let next = pending.messages[pending.head];
      next !== undefined && pending.done.delete(next.offset);
      next = pending.messages[pending.head]
    ) {
      last = next;
      pending.head++;
    }
    this.#compact(pending);
    return last;
  }

  /** Messages of `partition` handed out and not in the committed prefix yet. */
  outstanding(partition: string): number {
    const pending = this.#partitions.get(partition);
    return pending === undefined ? 0 : pending.messages.length - pending.head;
  }

  /** The partitions are gone (revoked): what was not done is read again by their next owner. */
  forget(partitions: Iterable<string>): void {
    for (const partition of partitions) this.#partitions.delete(partition);
  }

  // A partition caught up keeps its entry, emptied: a handler that finishes at once (CPU only) catches
  // up after every message, and a new entry per message was garbage per message.
  #compact(pending: Pending): void {
    if (pending.head === pending.messages.length) {
      pending.messages.length = 0;
      pending.head = 0;
    } else if (pending.head >= COMPACT_AT) {
      pending.messages.splice(0, pending.head);
      pending.head = 0;
    }
  }
}
