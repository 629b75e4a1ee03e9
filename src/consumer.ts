import { Intercepted, type CallSite } from "./call.js";
import { KafkaError } from "./errors.js";
import type { Interceptor } from "./interceptors.js";
import { Message } from "./message.js";
import type { MessageDecoder } from "./schema-registry/decoder.js";
import type { ConsumerSession } from "./session.js";
import type { SessionSource } from "./session-setup.js";

/** Options of one read. */
export interface ReadOptions {
  /** Abandons the wait; the read then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Gives up after this long; the read then rejects with a TimeoutError. */
  timeoutMs?: number;
}

/**
 * A reader with kafka-go's Reader API: `kafka.consumers.<name>`.
 *
 * With a `groupID` it is a member of that group (partitions come and go with rebalances, which it
 * handles on its own); with a `partition` it reads that one partition directly, from `startOffset` or
 * wherever `setOffset` puts it, and commits nothing.
 *
 * A read rejects with the KafkaError of a failed fetch or connect (the next read tries again, after a
 * backoff step), or with a ConfigError when librdkafka refuses the configuration as it creates the
 * client: that one is final, every later read rejects with it.
 */
export class Consumer {
  /** Its entry's name: `<name>` of `kafka.consumers.<name>`. */
  readonly name: string;
  /** Its full config key, e.g. "kafka.consumers.orders"; names it in errors, logs and metrics. */
  readonly key: string;
  private readonly intercepted: Intercepted;
  /** Partition mode: the offset of the next message to read (kafka-go's Offset()). */
  private nextOffset: number;
  private closed = false;

  /** @internal made by the component ({@link Component.consumer}); not for direct use */
  constructor(
    private readonly session: ConsumerSession,
    private readonly source: SessionSource,
    site: CallSite,
    interceptors: readonly Interceptor[],
    /** Decodes values and keys with the reader's valueFormat / keyFormat into message.data / keyData. */
    private readonly decoder?: MessageDecoder,
  ) {
    this.name = site.name;
    this.key = site.key;
    this.intercepted = new Intercepted(site, interceptors);
    this.nextOffset = source.kind === "partition" ? source.offset : -1;
  }

  /** Reads the next message and, in a group, commits it (synchronously when commitInterval is 0). */
  async readMessage(options: ReadOptions = {}): Promise<Message> {
    return this.intercepted.run("ReadMessage", [], undefined, async (messages) => {
      const message = await this.nextMessage(options);
      messages.push(message);
      if (this.source.kind === "group") await this.session.ledger.commitMessages([message]);
      return message;
    });
  }

  /** Reads the next message without committing it; see {@link commitMessages}. */
  async fetchMessage(options: ReadOptions = {}): Promise<Message> {
    return this.intercepted.run("FetchMessage", [], undefined, async (messages) => {
      const message = await this.nextMessage(options);
      messages.push(message);
      return message;
    });
  }

  /** Commits the messages: synchronously when commitInterval is 0, else in the background. Groups only. */
  async commitMessages(...messages: Message[]): Promise<void> {
    await this.intercepted.run("CommitMessages", messages, undefined, async (msgs) => {
      if (this.source.kind !== "group") {
        throw new Error(`${this.key}: commitMessages is not available without a groupID (this consumer reads one partition directly)`);
      }
      await this.session.ledger.commitMessages(msgs);
    });
  }

  /**
   * How many messages are behind the last one read, from the watermarks of the last fetch (no
   * round-trip). In a group: summed over the assigned partitions.
   */
  lag(): number {
    if (this.source.kind === "partition") {
      const { high } = this.session.watermarks(this.source.topic, this.source.partition);
      return high < 0 || this.nextOffset < 0 ? -1 : Math.max(0, high - this.nextOffset);
    }
    let total = 0;
    for (const p of this.session.positions()) {
      // librdkafka leaves `offset` out for a partition nothing was read from yet: no position, no lag.
      if (p.offset === undefined || p.offset < 0) continue;
      const { high } = this.session.watermarks(p.topic, p.partition);
      if (high >= 0) total += Math.max(0, high - p.offset);
    }
    return total;
  }

  /** Like {@link lag}, but asks the partition leaders for their current end offsets. */
  async readLag(): Promise<number> {
    await this.session.ready();
    if (this.source.kind === "partition") {
      const { high } = await this.session.queryWatermarks(this.source.topic, this.source.partition);
      const from =
        this.nextOffset >= 0
          ? this.nextOffset
          : this.nextOffset === -1
            ? high
            : (await this.session.queryWatermarks(this.source.topic, this.source.partition)).low;
      return Math.max(0, high - from);
    }
    let total = 0;
    for (const p of this.session.positions()) {
      // librdkafka leaves `offset` out for a partition nothing was read from yet: no position, no lag.
      if (p.offset === undefined || p.offset < 0) continue;
      const { high } = await this.session.queryWatermarks(p.topic, p.partition);
      total += Math.max(0, high - p.offset);
    }
    return total;
  }

  /** The offset of the next message to read (-2 oldest / -1 newest before the first read); -1 in a group. */
  offset(): number {
    return this.source.kind === "partition" ? this.nextOffset : -1;
  }

  /** Moves to `offset` (or -2 oldest, -1 newest). Partition consumers only, as in kafka-go. */
  async setOffset(offset: number): Promise<void> {
    const source = this.partitionSource("setOffset");
    if (!Number.isInteger(offset) || offset < -2)
      throw new RangeError(`${this.key}: setOffset: expected an offset >= 0, or -2 (oldest) / -1 (newest), got ${offset}`);
    await this.session.seek(source.topic, source.partition, offset);
    this.nextOffset = offset;
  }

  /** Moves to the first message written at or after `time`. Partition consumers only. */
  async setOffsetAt(time: Date): Promise<void> {
    const source = this.partitionSource("setOffsetAt");
    if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw new TypeError(`${this.key}: setOffsetAt: expected a valid Date`);
    await this.setOffset(await this.session.offsetForTime(source.topic, source.partition, time));
  }

  /** Commits what is stored (in a group), leaves the group and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.close();
  }

  private async nextMessage(options: ReadOptions): Promise<Message> {
    for (;;) {
      const event = await this.session.next(options);
      if (event instanceof Message) {
        if (this.source.kind === "partition") this.nextOffset = event.offset + 1;
        if (this.decoder !== undefined) await this.decoder.decode([event], options.signal);
        return event;
      }
      if (event instanceof KafkaError) throw event;
      // Rebalance events are the group's business here: a Consumer just reads.
    }
  }

  private partitionSource(operation: string): Extract<SessionSource, { kind: "partition" }> {
    if (this.source.kind !== "partition") {
      throw new Error(`${this.key}: ${operation} is not available with a groupID: the group decides where each partition is read from`);
    }
    return this.source;
  }
}
