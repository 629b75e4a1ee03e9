import { Intercepted, type CallSite } from "./call.js";
import type { KafkaError } from "./errors.js";
import type { AssignedPartitions, RevokedPartitions } from "./events.js";
import type { Interceptor } from "./interceptors.js";
import { Message } from "./message.js";
import type { MessageDecoder } from "./schema-registry/decoder.js";
import type { ConsumerSession } from "./session.js";
import type { TransactionOffsetSink } from "./offset-ledger.js";

/** What `ConsumerGroup.poll()` resolves to; tell the kinds apart with `instanceof`. */
export type ConsumerGroupEvent = Message | AssignedPartitions | RevokedPartitions | KafkaError;

/** Options of one `poll()` call. */
export interface PollOptions {
  /** Abandons the wait; `poll()` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Gives up after this long; `poll()` then rejects with a TimeoutError. */
  timeoutMs?: number;
  /**
   * Whether this poll first releases a RevokedPartitions handed out before (default true). False: the
   * revoked partitions stay with this member until their event's `release()`, while the poll goes on
   * returning messages of the partitions still assigned — for an application that finishes the revoked
   * partitions' work in the background and keeps handling the others meanwhile.
   */
  releaseRevoked?: boolean;
}

/** Options of one `pollBatch()` call. */
export interface PollBatchOptions extends PollOptions {
  /** The most messages returned at once (default 500). */
  maxMessages?: number;
}

/**
 * A member of a consumer group with an event API: `kafka.consumerGroups.<name>`.
 *
 * `poll()` returns the next thing that happened, in order: a Message, an AssignedPartitions (each time
 * the group hands this member partitions), a RevokedPartitions (when that assignment ends), or an
 * error.
 *
 * Revocations: the revoked partitions stay with this member until it says it is done with them —
 * `revoked.release()`, or simply the next `poll()` (unless it passes `releaseRevoked: false`) — so
 * finish (and store) the work of those partitions first. Either way the offsets stored for them are committed before they go to their next owner.
 */
export class ConsumerGroup {
  /** Its entry's name: `<name>` of `kafka.consumerGroups.<name>` (or of the `consumers` entry it reads like). */
  readonly name: string;
  /** Its full config key, e.g. "kafka.consumerGroups.billing"; names it in errors, logs and metrics. */
  readonly key: string;
  private readonly intercepted: Intercepted;
  private closed = false;

  /** @internal made by the component ({@link Component.consumerGroup}); not for direct use */
  constructor(
    private readonly session: ConsumerSession,
    site: CallSite,
    interceptors: readonly Interceptor[],
    /** Decodes values and keys with the reader's valueFormat / keyFormat into message.data / keyData. */
    private readonly decoder?: MessageDecoder,
  ) {
    this.name = site.name;
    this.key = site.key;
    this.intercepted = new Intercepted(site, interceptors);
  }

  /**
   * The next event. Errors from Kafka are returned as values (KafkaError), at most one per backoff step
   * (`readBackoffMin` growing to `readBackoffMax`) for errors that repeat, such as a failed connect.
   * The promise rejects when the wait is aborted through `signal` or runs past `timeoutMs`, or the group
   * is closed; and with a ConfigError, naming the key and librdkafka's reason, when librdkafka refuses
   * the configuration as it creates the client (on the first call): that is final, every later call
   * rejects with the same error at once.
   */
  async poll(options: PollOptions = {}): Promise<ConsumerGroupEvent> {
    return this.intercepted.run("Poll", [], undefined, async (messages, cmd) => {
      const event = await this.session.next(options);
      if (event instanceof Message) {
        if (this.decoder !== undefined) await this.decoder.decode([event], options.signal);
        messages.push(event);
      }
      cmd.response = event;
      return event;
    });
  }

  /**
   * Like {@link poll}, but returns every message already fetched (up to `maxMessages`, in order,
   * possibly of several partitions) as one array; any other event comes alone. One interceptor call
   * ("Poll") per batch rather than per message.
   */
  async pollBatch(options: PollBatchOptions = {}): Promise<Message[] | Exclude<ConsumerGroupEvent, Message>> {
    const max = options.maxMessages ?? 500;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`${this.key}: pollBatch: maxMessages must be an integer of at least 1, found ${String(options.maxMessages)}`);
    return this.intercepted.run("Poll", [], undefined, async (messages, cmd) => {
      const event = await this.session.nextBatch(options, max);
      if (Array.isArray(event)) {
        if (this.decoder !== undefined) await this.decoder.decode(event, options.signal);
        messages.push(...event);
      }
      cmd.response = Array.isArray(event) ? `${event.length} messages` : event;
      return event;
    });
  }

  /**
   * Commits the messages (the highest offset per partition). With `commitInterval = 0` this is a
   * synchronous commit (one round-trip); otherwise the offsets are stored and committed in the
   * background every commitInterval, on revocation and on close.
   */
  async commitMessages(...messages: Message[]): Promise<void> {
    await this.intercepted.run("CommitMessages", messages, undefined, (msgs) => this.session.ledger.commitMessages(msgs));
  }

  /**
   * Records messages as handled without a round-trip: their offsets are committed in the background
   * (every commitInterval, or every second when it is 0), before a revocation completes, and on close.
   */
  storeOffsets(...messages: Message[]): void {
    this.session.ledger.store(messages);
  }

  /**
   * @internal exactly-once: from now on this group's offsets go into transactions only (see
   * the offset ledger's useTransactions); the Consumer Server with `transactionalProducer` calls it.
   */
  useTransactions(): void {
    this.session.ledger.useTransactions();
  }

  /** @internal hands offsets to a producer's open transaction through the offset ledger (`tx.sendOffsets`) */
  async sendToTransaction(messages: readonly Message[], sink: TransactionOffsetSink): Promise<void> {
    await this.session.ledger.sendToTransaction(messages, sink);
  }

  /** Commits every stored offset now. */
  async commitStored(): Promise<void> {
    await this.session.commitStored();
  }

  /** Stops fetching these partitions until `resume()` (their assignment is kept). */
  pause(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    this.session.pause(partitions);
  }

  /** Fetches these partitions again after {@link pause}, from where reading stopped. */
  resume(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    this.session.resume(partitions);
  }

  /** Commits the stored offsets, leaves the group and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.close();
  }
}
