import type { Client, Message, PartitionOffset } from "ekafka";

/**
 * Where each partition ended when the demo started, and the consumer's position since (one past the
 * last message handled). Only messages at or after the start count as this run's: whatever the group
 * read first (a backlog an earlier run left behind) is told apart, so produced = consumed adds up
 * whatever the group's history. Committed offsets would lag by up to commitInterval; this does not.
 */
export class Positions {
  readonly #start = new Map<number, number>();
  readonly #next = new Map<number, number>();

  /** Records the partitions' end offsets before anything is written. */
  recordStart(ends: readonly PartitionOffset[]): void {
    for (const end of ends) this.#start.set(end.partition, end.offset);
  }

  /** Notes a handled message; true when it is one this run wrote and was not handled before. */
  handled(message: Message): boolean {
    const next = this.#next.get(message.partition) ?? 0;
    this.#next.set(message.partition, Math.max(next, message.offset + 1));
    return message.offset >= (this.#start.get(message.partition) ?? 0) && message.offset >= next;
  }

  /** Messages written but not yet handled; -1 when the brokers did not answer. */
  async lag(admin: Client, topic: string): Promise<number> {
    try {
      const ends = await admin.listOffsets(topic, "latest");
      return ends.reduce((sum, end) => {
        const position = Math.max(this.#next.get(end.partition) ?? 0, this.#start.get(end.partition) ?? end.offset);
        return sum + Math.max(0, end.offset - position);
      }, 0);
    } catch {
      return -1;
    }
  }
}
