// A fake of the engine's narrow view of a consumer group (PollingGroup): the test scripts what poll
// returns and reads back what the engine stored, paused, resumed and closed. Kafka's own behaviour is
// not imitated: only the contract the engine relies on (events in order, release before the next poll).
import { AssignedPartitions, Message, RevokedPartitions, type TopicPartition } from "../../../src/index.js";
import type { PollingGroup } from "../../../consumerserver/subscription.js";

type Event = Message[] | AssignedPartitions | RevokedPartitions | Error;

/** A scripted consumer group. */
export class FakeGroup implements PollingGroup {
  readonly stored: string[] = [];
  readonly pauses: string[] = [];
  readonly log: string[] = [];
  /** The maxMessages of each poll, in order. */
  readonly asked: number[] = [];
  closed = 0;
  readonly #events: Event[] = [];
  #wake: (() => void) | undefined;

  /** Queues messages of `topic`/`partition` at `offsets` for the next poll. */
  push(topic: string, partition: number, offsets: number[], key?: (offset: number) => string): Message[] {
    const messages = offsets.map(
      (offset) =>
        new Message(topic, partition, key === undefined ? null : Buffer.from(key(offset)), Buffer.from(`v${offset}`), [], 0, offset),
    );
    this.#add(messages);
    return messages;
  }

  /** Queues a message with headers (a retry-topic record). */
  pushMessage(message: Message): void {
    this.#add([message]);
  }

  /** Queues a revocation; resolves once the engine released it. */
  revoke(...partitions: Array<[string, number]>): Promise<void> {
    return new Promise((released) => {
      const list: TopicPartition[] = partitions.map(([topic, partition]) => ({ topic, partition, offset: -1001 }));
      this.#add(
        new RevokedPartitions(list, () => {
          this.log.push(`released ${partitions.map(([t, p]) => `${t}/${p}`).join(",")}`);
          released();
          return Promise.resolve();
        }),
      );
    });
  }

  /** Queues an error event. */
  fail(error: Error): void {
    this.#add(error);
  }

  // An Error stands in for the KafkaError a real group returns: the engine reads only its message and `fatal`.
  async pollBatch(options: { signal?: AbortSignal; maxMessages?: number } = {}): Promise<Awaited<ReturnType<PollingGroup["pollBatch"]>>> {
    this.asked.push(options.maxMessages ?? 500);
    for (;;) {
      options.signal?.throwIfAborted();
      const next = this.#events[0];
      if (next !== undefined) {
        if (!Array.isArray(next) || next.length <= (options.maxMessages ?? 500)) return this.#events.shift()! as never;
        return next.splice(0, options.maxMessages ?? 500);
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        options.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  storeOffsets(...messages: Message[]): void {
    for (const message of messages) {
      this.stored.push(`${message.topic}/${message.partition}@${message.offset}`);
      this.log.push(`stored ${message.topic}/${message.partition}@${message.offset}`);
    }
  }

  pause(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const p of partitions) this.pauses.push(`pause ${p.topic}/${p.partition}`);
  }

  resume(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const p of partitions) this.pauses.push(`resume ${p.topic}/${p.partition}`);
  }

  close(): Promise<void> {
    this.closed++;
    this.log.push("closed");
    return Promise.resolve();
  }

  #add(event: Event): void {
    this.#events.push(event);
    this.#wake?.();
  }
}

/** A promise the test settles by hand. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
