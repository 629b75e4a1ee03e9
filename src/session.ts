import type {
  Assignment,
  KafkaConsumer,
  LibrdKafkaError,
  Message as NativeMessage,
  TopicPartitionOffset,
} from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import { Backoff } from "./backoff.js";
import type { ReaderConfig } from "./config.js";
import { ClosedError, ErrorCodes, KafkaError, toKafkaError } from "./errors.js";
import { EventQueue } from "./event-queue.js";
import { AssignedPartitions, RevokedPartitions, type TopicPartition } from "./events.js";
import type { LibrdkafkaProperties } from "./librdkafka-properties.js";
import { Message, type Header } from "./message.js";
import { watchStatistics } from "./client-statistics.js";
import { OffsetLedger, type CommittedOffset } from "./offset-ledger.js";
import { callback, commitAsync, connectClient, disconnectClient, FailureLog, nativeConsumer, OFFSET_INVALID } from "./rdkafka.js";

/** What a session hands out, in the order it happened. */
export type SessionEvent = Message | AssignedPartitions | RevokedPartitions | KafkaError;

/** How a session gets its partitions. */
export type SessionSource = { kind: "group"; topics: string[] } | { kind: "partition"; topic: string; partition: number; offset: number };

/** Everything a session is built from. */
export interface SessionSetup {
  key: string;
  config: ReaderConfig;
  properties: LibrdkafkaProperties;
  source: SessionSource;
  logger: Logger;
  /** Timeout of connecting and of coordinator calls. */
  requestTimeoutMs: number;
  /**
   * Whether a revocation waits for the application (ConsumerGroup: it sees the RevokedPartitions event,
   * finishes its work, then calls `release()` or polls again) or completes at once (Consumer).
   */
  deferRevocation: boolean;
}

/** Options of a wait for the next event. */
export interface NextOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Most messages taken from librdkafka in one go. */
const FETCH_BATCH = 500;
/** How long one native fetch waits for a first message; short, so rebalances are served promptly. */
const FETCH_WAIT_MS = 100;
/** Errors librdkafka reports on its own that a session passes on as events (the rest are logged). */
const SURFACED_CLIENT_ERRORS = new Set<number>([ErrorCodes.ERR__AUTHENTICATION, ErrorCodes.ERR__ALL_BROKERS_DOWN]);

/** A revocation whose partitions wait for the application before they are released. */
interface Revocation {
  readonly partitions: TopicPartition[];
  /** The RevokedPartitions event was handed out: the next `next()` releases, unless `release()` did. */
  delivered: boolean;
  released: Promise<void> | undefined;
}

/**
 * Owns one native consumer: connecting, subscribing or assigning, the group's rebalances, and fetching
 * into an {@link EventQueue}, with one backoff ({@link Backoff}, `readBackoffMin` to `readBackoffMax`)
 * and one classification of fetch failures. Offsets belong to its {@link OffsetLedger}.
 *
 * Consumer and ConsumerGroup are faces over a session.
 */
export class ConsumerSession {
  readonly client: KafkaConsumer;
  readonly ledger: OffsetLedger;
  private readonly queue: EventQueue<SessionEvent>;
  private readonly failures: FailureLog;
  /** Waits after consecutive fetch errors. */
  private readonly fetchBackoff: Backoff;
  private connecting: Promise<void> | undefined;
  /** Set once connected and joined: the common path of next() then skips the connection wait. */
  private connected = false;
  private fetching: Promise<void> | undefined;
  private revocation: Revocation | undefined;
  private lastClientError: { key: string; at: number } | undefined;
  private closing = false;
  /**
   * Set once the stored offsets were committed on close and librdkafka's own close runs: from then on a
   * revocation is released without committing (the client no longer takes commits). Until then (while
   * closing waits for a fetch in flight, say) a revocation caused by another member commits first, as
   * at any other time: releasing it would drop offsets handled but not yet flushed.
   */
  private leaving = false;
  private closed = false;

  constructor(private readonly setup: SessionSetup) {
    this.client = nativeConsumer(setup.key, setup.properties, {
      ...(setup.source.kind === "group"
        ? { rebalance: (err: LibrdKafkaError, assignment: Assignment[]) => this.onRebalance(err, assignment) }
        : {}),
    });
    this.failures = new FailureLog(setup.properties).attach(this.client);
    this.client.on("event.error", (err) => this.onClientError(err));
    this.fetchBackoff = new Backoff({ initialMs: setup.config.readBackoffMin, maxMs: setup.config.readBackoffMax });
    watchStatistics(this.client, setup.key, setup.config.groupID ?? "", setup.logger);
    this.queue = new EventQueue(setup.key);
    this.ledger = new OffsetLedger(
      setup.key,
      {
        store: (offsets) => this.client.offsetsStore(offsets),
        commit: (offsets) => commitAsync(this.client, offsets),
        committed: (partitions) =>
          callback<CommittedOffset[]>((cb) => this.client.committed(partitions, setup.requestTimeoutMs, cb as never)),
        pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        error: (err, operation) => this.failures.error(err, operation, setup.key),
        debug: (err, message) => setup.logger.debug({ err }, message),
      },
      setup.config.commitInterval === 0,
    );
  }

  /** Connects (once) and subscribes or assigns. */
  ready(): Promise<void> {
    if (this.closed || this.closing) return Promise.reject(new ClosedError(`reader ${this.setup.key}`, "poll"));
    this.connecting ??= this.connectAndJoin().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  /**
   * The next event. Rejects only when `signal` aborts or `timeoutMs` passes (PollTimeoutError); errors
   * of the fetch are returned as KafkaError events.
   */
  async next(options: NextOptions = {}): Promise<SessionEvent> {
    const [event] = await this.take(options, 1);
    return event!;
  }

  /**
   * The messages already fetched, up to `max`, in order (several partitions may be mixed), or else the
   * next other event alone. Waits like {@link next} when nothing is there.
   */
  async nextBatch(options: NextOptions, max: number): Promise<Message[] | Exclude<SessionEvent, Message>> {
    const events = await this.take(options, max);
    const first = events[0]!;
    return first instanceof Message ? (events as Message[]) : first;
  }

  /** One event, or a run of up to `max` messages. */
  private async take(options: NextOptions, max: number): Promise<SessionEvent[]> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const connectFailure = await this.readyWithin(options.signal, deadline);
    if (connectFailure !== undefined) return [connectFailure];
    await this.releaseDelivered();
    for (;;) {
      options.signal?.throwIfAborted();
      if (this.closing) throw new ClosedError(`reader ${this.setup.key}`, "poll");
      const taken = this.queue.shiftWhile(max, isMessage);
      if (taken.length === 0) {
        const first = this.queue.shift();
        if (first !== undefined) taken.push(first);
        if (first instanceof RevokedPartitions && this.revocation !== undefined) this.revocation.delivered = true;
      }
      if (taken.length > 0) {
        // Fetch ahead while the application works through the queue, so it rarely waits for a fetch.
        if (this.queue.length < FETCH_BATCH / 2) this.startFetch();
        return taken;
      }
      this.startFetch();
      await this.queue.waitForPush(options.signal, deadline);
    }
  }

  /**
   * Waits for the connection as long as the caller is willing to wait. A failed connection is an
   * event (the next call tries again); the wait itself rejects like any other wait.
   */
  private async readyWithin(signal: AbortSignal | undefined, deadline: number): Promise<KafkaError | undefined> {
    if (this.connected) return undefined;
    const ready = this.ready().then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof KafkaError) return err;
        throw err;
      },
    );
    if (this.connecting === undefined || (signal === undefined && deadline === Infinity)) return ready;
    let settled = false;
    const settle = () => {
      settled = true;
      this.queue.wake();
    };
    ready.then(settle, settle);
    while (!settled) await this.queue.waitForPush(signal, deadline);
    return ready;
  }

  /** Commits every stored offset not yet committed (revoked partitions not yet released included). */
  async commitStored(): Promise<void> {
    if (!this.client.isConnected() || !this.ledger.owns) return;
    await this.ledger.commitStored();
  }

  /** Moves the read position of an assigned partition. */
  async seek(topic: string, partition: number, offset: number): Promise<void> {
    await this.ready();
    await this.waitForFetch();
    this.queue.clear();
    await callback<void>((cb) =>
      this.client.seek({ topic, partition, offset }, this.setup.requestTimeoutMs, (err) => cb(err, undefined)),
    ).catch((err: unknown) => {
      throw this.failures.error(err, "SetOffset", this.setup.key);
    });
  }

  /** The cached low and high watermarks of a partition (updated by every fetch). */
  watermarks(topic: string, partition: number): { low: number; high: number } {
    const w = this.client.getWatermarkOffsets(topic, partition);
    return { low: w.lowOffset, high: w.highOffset };
  }

  /** Asks the partition leader for the current watermarks. */
  async queryWatermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    await this.ready();
    const w = await callback<{ lowOffset: number; highOffset: number }>((cb) =>
      this.client.queryWatermarkOffsets(topic, partition, this.setup.requestTimeoutMs, cb),
    ).catch((err: unknown) => {
      throw this.failures.error(err, "ReadLag", this.setup.key);
    });
    return { low: w.lowOffset, high: w.highOffset };
  }

  /** The offset of the first message at or after `time` (the high watermark when there is none). */
  async offsetForTime(topic: string, partition: number, time: Date): Promise<number> {
    await this.ready();
    const [found] = await callback<TopicPartitionOffset[]>((cb) =>
      this.client.offsetsForTimes([{ topic, partition, offset: time.getTime() }], this.setup.requestTimeoutMs, cb),
    ).catch((err: unknown) => {
      throw this.failures.error(err, "SetOffsetAt", this.setup.key);
    });
    if (found === undefined || found.offset < 0) return (await this.queryWatermarks(topic, partition)).high;
    return found.offset;
  }

  /** The position (next offset to read) of each assigned partition, as librdkafka knows it. */
  positions(): TopicPartitionOffset[] {
    try {
      return this.client.position();
    } catch {
      return [];
    }
  }

  pause(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    this.client.pause(partitions.map(({ topic, partition }) => ({ topic, partition })));
  }

  resume(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    this.client.resume(partitions.map(({ topic, partition }) => ({ topic, partition })));
  }

  /** Stops fetching, commits stored offsets (once), leaves the group and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    this.queue.wake();
    if (this.connecting !== undefined) {
      const connected = await this.connecting.then(
        () => true,
        () => false,
      );
      if (connected) await this.leave();
    }
    this.closed = true;
  }

  private async leave(): Promise<void> {
    await this.waitForFetch();
    try {
      await this.commitStored();
    } catch (err) {
      this.setup.logger.warn({ err }, "committing stored offsets on close failed");
    }
    this.leaving = true;
    if (this.revocation !== undefined) this.unassign(this.revocation);
    // Disconnecting runs librdkafka's close: it revokes what is left (onRebalance releases it at once
    // now that leaving is set) and leaves the group, so the others take over without a session timeout.
    await disconnectClient(this.client);
  }

  private async connectAndJoin(): Promise<void> {
    await connectClient(this.client, this.failures, this.setup.requestTimeoutMs, this.setup.key);
    this.connected = true;
    this.client.setDefaultConsumeTimeout(FETCH_WAIT_MS);
    // Return what is ready after the first message instead of waiting to fill a batch: latency.
    (this.client as unknown as { setDefaultIsTimeoutOnlyForFirstMessage?: (on: boolean) => void }).setDefaultIsTimeoutOnlyForFirstMessage?.(
      true,
    );
    const source = this.setup.source;
    if (source.kind === "group") {
      this.client.subscribe(source.topics);
    } else {
      this.client.assign([{ topic: source.topic, partition: source.partition, offset: source.offset }]);
      this.ledger.assign([source]);
    }
  }

  private onRebalance(err: LibrdKafkaError, assignment: Assignment[]): void {
    try {
      if (err.code === ErrorCodes.ERR__ASSIGN_PARTITIONS) this.onAssign(assignment);
      else if (err.code === ErrorCodes.ERR__REVOKE_PARTITIONS) this.onRevoke(assignment);
      else this.queue.push(this.failures.error(err, "rebalance", this.setup.key));
    } catch (error) {
      this.queue.push(toKafkaError(error, "rebalance", this.setup.key));
    }
  }

  private onAssign(assignment: Assignment[]): void {
    this.client.assign(assignment);
    this.ledger.assign(assignment);
    this.queue.push(new AssignedPartitions(assignment.map(toTopicPartition)));
  }

  private onRevoke(assignment: Assignment[]): void {
    // Nothing more is handed out for these partitions: messages of theirs still in flight are dropped
    // (never stored), so their next owner reads them again from the last stored offset.
    this.ledger.revoke(assignment);
    const partitions = assignment.map(toTopicPartition);
    const revocation: Revocation = { partitions, delivered: false, released: undefined };
    this.revocation = revocation;
    this.queue.push(new RevokedPartitions(partitions, () => this.completeRevocation(revocation)));
    // Leaving, the stored offsets were committed before disconnecting, and the client no longer takes
    // commits: release at once. (A deferred revocation met while closing is committed by leave().)
    if (this.leaving) this.unassign(revocation);
    else if (!this.setup.deferRevocation) void this.completeRevocation(revocation);
  }

  /** A revocation the application saw and did not release itself is released when it asks for more. */
  private async releaseDelivered(): Promise<void> {
    const revocation = this.revocation;
    if (revocation?.delivered) await this.completeRevocation(revocation);
  }

  /** Commits the revoked partitions' stored offsets, then releases them; once per revocation. */
  private completeRevocation(revocation: Revocation): Promise<void> {
    revocation.released ??= (async () => {
      try {
        if (this.revocation === revocation && !this.leaving) await this.ledger.commitStored();
      } catch (err) {
        // The partitions go anyway: the group waits for them. Their next owner reads from the last commit.
        this.setup.logger.warn({ err }, "commit on revocation failed");
      } finally {
        this.unassign(revocation);
      }
    })();
    return revocation.released;
  }

  private unassign(revocation: Revocation): void {
    revocation.released ??= Promise.resolve();
    if (this.revocation !== revocation) return;
    this.revocation = undefined;
    this.ledger.release(revocation.partitions);
    try {
      this.client.unassign();
    } catch (err) {
      if (this.client.isConnected()) this.setup.logger.warn({ err }, "unassign failed");
    }
  }

  private startFetch(): void {
    if (this.fetching !== undefined || this.closing) return;
    this.fetching = this.fetchBatch().finally(() => {
      this.fetching = undefined;
      this.queue.wake();
    });
  }

  private async waitForFetch(): Promise<void> {
    while (this.fetching !== undefined) await this.fetching;
  }

  private async fetchBatch(): Promise<void> {
    // The offsets stored since the last round go to librdkafka in one call, so its background commit
    // sees them within one fetch round.
    this.ledger.flush();
    try {
      const batch = await callback<NativeMessage[]>((cb) => this.client.consume(FETCH_BATCH, cb));
      this.fetchBackoff.reset();
      this.pushMessages(batch);
    } catch (err) {
      if (this.closing) return;
      this.queue.push(this.failures.error(err, `FetchMessage (${this.describeSource()})`, this.setup.key));
      await new Promise((resolve) => setTimeout(resolve, this.fetchBackoff.next()));
    }
  }

  /** What the session reads, for error messages: "topic t", "topics a, b" or "topic t partition 1". */
  private describeSource(): string {
    const source = this.setup.source;
    if (source.kind === "partition") return `topic ${source.topic} partition ${source.partition}`;
    return source.topics.length === 1 ? `topic ${source.topics[0]}` : `topics ${source.topics.join(", ")}`;
  }

  private pushMessages(batch: NativeMessage[]): void {
    if (batch.length === 0) return;
    const messages: Message[] = [];
    let lastTopic: string | undefined;
    let lastPartition = -1;
    let assigned = false;
    let hwm = -1;
    for (const raw of batch) {
      // A fetch returns runs of one partition: look the partition up once per run.
      if (raw.topic !== lastTopic || raw.partition !== lastPartition) {
        lastTopic = raw.topic;
        lastPartition = raw.partition;
        assigned = this.ledger.isAssigned(raw.topic, raw.partition);
        hwm = assigned ? this.highWaterMark(raw.topic, raw.partition) : -1;
      }
      if (assigned) messages.push(toMessage(raw, hwm));
    }
    this.queue.pushAll(messages);
  }

  private highWaterMark(topic: string, partition: number): number {
    try {
      return this.client.getWatermarkOffsets(topic, partition).highOffset;
    } catch {
      return -1;
    }
  }

  /**
   * Errors librdkafka raises outside a call. The binding hands them over without their code, so the
   * serious ones (authentication failed, every broker down) are recognised by their text and become
   * events; the rest are logged. Either way a repeat within readBackoffMax is dropped: librdkafka
   * reports the same failure once per broker and retry.
   */
  private onClientError(err: LibrdKafkaError): void {
    const code = clientErrorCode(err);
    const error = this.failures.error({ ...err, message: err.message, code }, "consume", this.setup.key);
    const now = Date.now();
    const key = `${code}:${err.message}`;
    if (this.lastClientError?.key === key && now - this.lastClientError.at < Math.max(1000, this.setup.config.readBackoffMax)) return;
    this.lastClientError = { key, at: now };
    if (err.isFatal === true || SURFACED_CLIENT_ERRORS.has(code)) this.queue.push(error);
    else this.setup.logger.warn({ err: error }, "consumer error");
  }
}

/** The code of a client error; the binding loses it for errors raised outside a call, so read the text. */
function clientErrorCode(err: LibrdKafkaError): number {
  if (typeof err.code === "number" && err.code !== -1) return err.code;
  if (/authentication/i.test(err.message)) return ErrorCodes.ERR__AUTHENTICATION;
  if (/all broker connections are down/i.test(err.message)) return ErrorCodes.ERR__ALL_BROKERS_DOWN;
  return err.code;
}

function toTopicPartition(tp: Assignment): TopicPartition {
  return { topic: tp.topic, partition: tp.partition, offset: "offset" in tp && typeof tp.offset === "number" ? tp.offset : OFFSET_INVALID };
}

function isMessage(event: SessionEvent): boolean {
  return event instanceof Message;
}

function toMessage(raw: NativeMessage, highWaterMark: number): Message {
  // Positional: one object fewer per message read.
  return new Message(
    raw.topic,
    raw.partition,
    raw.key == null ? null : typeof raw.key === "string" ? Buffer.from(raw.key) : raw.key,
    raw.value ?? null,
    toHeaders(raw.headers),
    raw.timestamp ?? Date.now(), // the Date is made on first use of message.time
    raw.offset,
    highWaterMark,
  );
}

function toHeaders(raw: NativeMessage["headers"]): Header[] {
  if (raw === undefined) return [];
  const headers: Header[] = [];
  for (const entry of raw) {
    for (const [key, value] of Object.entries(entry)) headers.push({ key, value: typeof value === "string" ? Buffer.from(value) : value });
  }
  return headers;
}
