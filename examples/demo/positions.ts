import type { Client, Message } from "ekafka";

/**
 * The consumer's position per partition (one past the last message handled), to tell its lag from the
 * partitions' end offsets. Committed offsets would lag by up to commitInterval; this does not.
 */
export class Positions {
  readonly #next = new Map<number, number>();

  handled(message: Message): void {
    this.#next.set(message.partition, message.offset + 1);
  }

  /** Messages written but not yet handled, over the partitions this process has read from; -1 when the brokers did not answer. */
  async lag(admin: Client, topic: string): Promise<number> {
    try {
      const ends = await admin.listOffsets(topic, "latest");
      return ends.reduce((sum, end) => sum + Math.max(0, end.offset - (this.#next.get(end.partition) ?? end.offset)), 0);
    } catch {
      return -1;
    }
  }
}
