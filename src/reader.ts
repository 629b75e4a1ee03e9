import type { Assignment, KafkaConsumer, LibrdKafkaError, Message as NativeMessage, TopicPartitionOffset } from "@confluentinc/kafka-javascript";

/** A committed offset as the native client reports it, with the partition's error if any. */
type TopicPartitionOffsetAndError = TopicPartitionOffset & { error?: LibrdKafkaError };
import type { Logger } from "pino";
import { Backoff } from "./backoff.js";
import type { ReaderConfig } from "./config.js";
import { ClosedError, ErrorCodes, KafkaError, toKafkaError } from "./errors.js";
import { AssignedPartitions, RevokedPartitions, type TopicPartition } from "./events.js";
import type { LibrdkafkaProperties } from "./librdkafka-properties.js";
import { Message, type Header } from "./message.js";
import { callback, commitAsync, connectClient, constructClient, disconnectClient, FailureLog, native, OFFSET_INVALID } from "./rdkafka.js";

/** What a reader hands out, in the order it happened. */
export type ReaderEvent = Message | AssignedPartitions | RevokedPartitions | KafkaError;

/** How a reader gets its partitions. */
export type ReaderSource =
  | { kind: "group"; topics: string[] }
  | { kind: "partition"; topic: string; partition: number; offset: number };

/** Everything a Reader is built from. */
export interface ReaderSetup {
  key: string;
  config: ReaderConfig;
  properties: LibrdkafkaProperties;
  source: ReaderSource;
  logger: Logger;
  /** Timeout of connecting and of coordinator calls. */
  requestTimeoutMs: number;
  /**
   * Whether a revocation waits for the next `next()` call (ConsumerGroup: the application sees the
   * RevokedPartitions event and finishes its work first) or completes at once (Consumer).
   */
  deferRevocation: boolean;
}

/** Most messages taken from librdkafka in one go. */
const FETCH_BATCH = 500;
/** How long one native fetch waits for a first message; short, so rebalances are served promptly. */
const FETCH_WAIT_MS = 100;
/** Errors librdkafka reports on its own that a reader passes on as events (the rest are logged). */
const SURFACED_CLIENT_ERRORS = new Set<number>([ErrorCodes.ERR__AUTHENTICATION, ErrorCodes.ERR__ALL_BROKERS_DOWN]);

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Reasons a wait for the next event ends early. */
export class PollTimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/**
 * The machinery shared by Consumer and ConsumerGroup: one librdkafka consumer, a queue of events in the
 * order they happened, the group's rebalances, and offsets.
 *
 * Offsets: librdkafka runs with auto-commit on and auto-store off, so only offsets the application
 * stores (a handled message) are committed: in the background every `auto.commit.interval.ms`, when
 * partitions are revoked, and on close. `commit()` adds a synchronous commit for `commitInterval = 0`.
 */
export class Reader {
  readonly client: KafkaConsumer;
  private readonly failures: FailureLog;
  private readonly queue: ReaderEvent[] = [];
  private readonly wakeups = new Set<() => void>();
  private readonly assigned = new Set<string>();
  /** Offsets stored by the application and not yet handed to librdkafka, by partition (see flushStores). */
  private readonly pendingStores = new Map<string, TopicPartitionOffset>();
  private connecting: Promise<void> | undefined;
  /** Set once connected and joined: the common path of next() then skips the connection wait. */
  private connected = false;
  private fetching: Promise<void> | undefined;
  /** Partitions revoked by the group whose release waits for the application (deferRevocation). */
  private revocation: { partitions: TopicPartition[]; delivered: boolean } | undefined;
  /** Waits after consecutive fetch errors: readBackoffMin growing to readBackoffMax, with jitter. */
  private readonly fetchBackoff: Backoff;
  private lastClientError: { key: string; at: number } | undefined;
  private closing = false;
  private closed = false;

  constructor(private readonly setup: ReaderSetup) {
    this.client = constructClient(setup.key, setup.properties, (c) => {
      // Our own rebalance callback: it decides when revoked partitions are released (see onRevoke).
      const global: Record<string, unknown> = { ...c.global };
      if (setup.source.kind === "group") global.rebalance_cb = (err: LibrdKafkaError, assignment: Assignment[]) => this.onRebalance(err, assignment);
      return new native.KafkaConsumer(global as never, c.topic);
    });
    this.failures = new FailureLog(setup.properties).attach(this.client as never);
    this.client.on("event.error", (err) => this.onClientError(err));
    this.fetchBackoff = new Backoff({ initialMs: setup.config.readBackoffMin, maxMs: setup.config.readBackoffMax });
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
  async next(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ReaderEvent> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const connectFailure = await this.readyWithin(options.signal, deadline);
    if (connectFailure !== undefined) return connectFailure;
    await this.releaseDeliveredRevocation();
    for (;;) {
      options.signal?.throwIfAborted();
      if (this.closing) throw new ClosedError(`reader ${this.setup.key}`, "poll");
      const event = this.queue.shift();
      if (event !== undefined) {
        if (event instanceof RevokedPartitions && this.revocation !== undefined) this.revocation.delivered = true;
        // Fetch ahead while the application works through the queue, so it rarely waits for a fetch.
        if (this.queue.length < FETCH_BATCH / 2) this.startFetch();
        return event;
      }
      this.startFetch();
      await this.waitForEvent(options.signal, deadline);
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
      for (const wake of this.wakeups) wake();
    };
    ready.then(settle, settle);
    while (!settled) await this.waitForEvent(signal, deadline);
    return ready;
  }

  /** Records messages as handled; their offsets are committed in the background (no round-trip now). */
  store(messages: readonly Message[]): void {
    for (const tp of this.nextOffsets(messages)) {
      if (!this.mayStore(tp.topic, tp.partition)) continue;
      const key = partitionKey(tp.topic, tp.partition);
      const pending = this.pendingStores.get(key);
      if (pending === undefined || pending.offset < tp.offset) this.pendingStores.set(key, tp);
    }
  }

  /**
   * Hands the offsets stored since the last flush to librdkafka, one call for all partitions rather
   * than one per message. Runs before every fetch (so the background commit sees them within one fetch
   * round) and before every commit, revocation and close.
   */
  private flushStores(): void {
    if (this.pendingStores.size === 0) return;
    const offsets = [...this.pendingStores.values()].filter((tp) => this.mayStore(tp.topic, tp.partition));
    this.pendingStores.clear();
    if (offsets.length === 0) return;
    try {
      this.client.offsetsStore(offsets);
    } catch (err) {
      // A partition revoked in the meantime cannot take an offset; its next owner reads the message again.
      this.setup.logger.debug({ err }, "offset not stored");
    }
  }

  /**
   * Offsets can be stored for assigned partitions, and for revoked ones until they are released: a
   * handler still running at the revocation stores its message, and that offset is committed before
   * the partition goes to its next owner.
   */
  private mayStore(topic: string, partition: number): boolean {
    if (this.assigned.has(partitionKey(topic, partition))) return true;
    return this.revocation?.partitions.some((tp) => tp.topic === topic && tp.partition === partition) ?? false;
  }

  /** Commits the messages' offsets now (one round-trip), after storing them so a background commit cannot go back. */
  async commit(messages: readonly Message[]): Promise<void> {
    const offsets = this.nextOffsets(messages);
    if (offsets.length === 0) return;
    this.store(messages);
    this.flushStores();
    await commitAsync(this.client, offsets).catch((err: unknown) => {
      throw this.failures.error(err, "CommitMessages", this.setup.key);
    });
    await this.confirmCommitted(offsets);
  }

  /**
   * The native commit returns as soon as the request is queued, without the coordinator's answer. The
   * coordinator handles a member's requests in order, so asking it for the committed offsets right
   * after shows whether the commit took, and its reason when it did not.
   */
  private async confirmCommitted(offsets: TopicPartitionOffset[]): Promise<void> {
    const request = offsets.map(({ topic, partition }) => ({ topic, partition }));
    let missing: TopicPartitionOffsetAndError[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const committed = await callback<TopicPartitionOffsetAndError[]>((cb) =>
        this.client.committed(request, this.setup.requestTimeoutMs, cb),
      ).catch((err: unknown) => {
        throw this.failures.error(err, "CommitMessages", this.setup.key);
      });
      missing = offsets.map((want) => {
        const got = committed.find((c) => c.topic === want.topic && c.partition === want.partition);
        const has = typeof got?.offset === "number" && got.offset >= 0 ? got.offset : -1;
        return got?.error || has < want.offset ? { ...want, ...(got?.error ? { error: got.error } : {}), offset: has } : undefined;
      }).filter((m): m is TopicPartitionOffsetAndError => m !== undefined);
      if (missing.length === 0) return;
      if (missing.some((m) => m.error)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const first = missing[0]!;
    const reason = first.error
      ? first.error.message
      : first.offset < 0
        ? "the group coordinator did not record it (an unknown topic or partition, or a partition this member no longer owns)"
        : `the group coordinator still has offset ${first.offset}, not ${offsets.find((o) => o.topic === first.topic && o.partition === first.partition)?.offset}`;
    throw new KafkaError(
      `${this.setup.key}: CommitMessages failed for ${first.topic} [${first.partition}]: ${reason}`,
      { operation: "CommitMessages", key: this.setup.key, code: first.error?.code ?? ErrorCodes.ERR__FAIL, retriable: true },
    );
  }

  /** Commits every stored offset not yet committed (revoked partitions not yet released included). */
  async commitStored(): Promise<void> {
    if (!this.client.isConnected() || (this.assigned.size === 0 && this.revocation === undefined)) return;
    await this.commitStoredOffsets();
  }

  /** Hands librdkafka the pending stores and commits them; "nothing to commit" is no failure. */
  private async commitStoredOffsets(): Promise<void> {
    this.flushStores();
    await commitAsync(this.client, null).catch((err: unknown) => {
      if ((err as LibrdKafkaError).code === ErrorCodes.ERR__NO_OFFSET) return;
      throw this.failures.error(err, "CommitMessages", this.setup.key);
    });
  }

  /** Moves the read position of an assigned partition. */
  async seek(topic: string, partition: number, offset: number): Promise<void> {
    await this.ready();
    await this.waitForFetch();
    this.queue.length = 0;
    await callback<void>((cb) => this.client.seek({ topic, partition, offset }, this.setup.requestTimeoutMs, (err) => cb(err, undefined))).catch(
      (err: unknown) => {
        throw this.failures.error(err, "SetOffset", this.setup.key);
      },
    );
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

  /** Stops fetching, commits stored offsets, leaves the group and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    for (const wake of this.wakeups) wake();
    if (this.connecting !== undefined) {
      const connected = await this.connecting.then(() => true, () => false);
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
    if (this.revocation !== undefined) this.release();
    // Disconnecting runs librdkafka's close: it revokes what is left (onRebalance releases it at once
    // now that closing is set) and leaves the group, so the others take over without a session timeout.
    await disconnectClient(this.client);
  }

  private async connectAndJoin(): Promise<void> {
    await connectClient(this.client, this.failures, this.setup.requestTimeoutMs, this.setup.key);
    this.connected = true;
    this.client.setDefaultConsumeTimeout(FETCH_WAIT_MS);
    // Return what is ready after the first message instead of waiting to fill a batch: latency.
    (this.client as unknown as { setDefaultIsTimeoutOnlyForFirstMessage?: (on: boolean) => void }).setDefaultIsTimeoutOnlyForFirstMessage?.(true);
    const source = this.setup.source;
    if (source.kind === "group") {
      this.client.subscribe(source.topics);
    } else {
      this.client.assign([{ topic: source.topic, partition: source.partition, offset: source.offset }]);
      this.assigned.add(partitionKey(source.topic, source.partition));
    }
  }

  private onRebalance(err: LibrdKafkaError, assignment: Assignment[]): void {
    try {
      if (err.code === ErrorCodes.ERR__ASSIGN_PARTITIONS) this.onAssign(assignment);
      else if (err.code === ErrorCodes.ERR__REVOKE_PARTITIONS) this.onRevoke(assignment);
      else this.push(this.failures.error(err, "rebalance", this.setup.key));
    } catch (error) {
      this.push(toKafkaError(error, "rebalance", this.setup.key));
    }
  }

  private onAssign(assignment: Assignment[]): void {
    this.client.assign(assignment);
    for (const tp of assignment) this.assigned.add(partitionKey(tp.topic, tp.partition));
    this.push(new AssignedPartitions(assignment.map(toTopicPartition)));
  }

  private onRevoke(assignment: Assignment[]): void {
    // Nothing more is handed out for these partitions: messages of theirs still in flight are dropped
    // (never stored), so their next owner reads them again from the last stored offset.
    for (const tp of assignment) this.assigned.delete(partitionKey(tp.topic, tp.partition));
    const partitions = assignment.map(toTopicPartition);
    this.push(new RevokedPartitions(partitions));
    this.revocation = { partitions, delivered: false };
    // On close the stored offsets were committed before disconnecting, and the client no longer
    // takes commits: release at once.
    if (this.closing) this.release();
    else if (!this.setup.deferRevocation) void this.completeRevocation();
  }

  /** After the application saw the revocation and came back for more, its stored offsets are committed and the partitions released. */
  private async releaseDeliveredRevocation(): Promise<void> {
    if (this.revocation?.delivered) await this.completeRevocation();
  }

  private async completeRevocation(): Promise<void> {
    try {
      await this.commitStoredOffsets();
    } catch (err) {
      // The partitions go anyway: the group waits for them. Their next owner reads from the last commit.
      this.setup.logger.warn({ err }, "commit on revocation failed");
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.revocation === undefined) return;
    this.revocation = undefined;
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
      for (const wake of this.wakeups) wake();
    });
  }

  private async waitForFetch(): Promise<void> {
    while (this.fetching !== undefined) await this.fetching;
  }

  private async fetchBatch(): Promise<void> {
    this.flushStores();
    try {
      const batch = await callback<NativeMessage[]>((cb) => this.client.consume(FETCH_BATCH, cb));
      this.fetchBackoff.reset();
      this.pushMessages(batch);
    } catch (err) {
      if (this.closing) return;
      this.push(this.failures.error(err, `FetchMessage (${this.describeSource()})`, this.setup.key));
      await new Promise((resolve) => setTimeout(resolve, this.fetchBackoff.next()));
    }
  }

  /** What the reader reads, for error messages: "topic t", "topics a, b" or "topic t partition 1". */
  private describeSource(): string {
    const source = this.setup.source;
    if (source.kind === "partition") return `topic ${source.topic} partition ${source.partition}`;
    return source.topics.length === 1 ? `topic ${source.topics[0]}` : `topics ${source.topics.join(", ")}`;
  }

  private pushMessages(batch: NativeMessage[]): void {
    const highWaterMarks = new Map<string, number>();
    for (const raw of batch) {
      const key = partitionKey(raw.topic, raw.partition);
      if (!this.assigned.has(key)) continue;
      let hwm = highWaterMarks.get(key);
      if (hwm === undefined) {
        hwm = this.highWaterMark(raw.topic, raw.partition);
        highWaterMarks.set(key, hwm);
      }
      this.queue.push(toMessage(raw, hwm));
    }
    if (batch.length > 0) for (const wake of this.wakeups) wake();
  }

  private highWaterMark(topic: string, partition: number): number {
    try {
      return this.client.getWatermarkOffsets(topic, partition).highOffset;
    } catch {
      return -1;
    }
  }

  private push(event: ReaderEvent): void {
    this.queue.push(event);
    for (const wake of this.wakeups) wake();
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
    if (err.isFatal === true || SURFACED_CLIENT_ERRORS.has(code)) this.push(error);
    else this.setup.logger.warn({ err: error }, "consumer error");
  }

  private waitForEvent(signal: AbortSignal | undefined, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.wakeups.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        clearTimeout(timer);
      };
      const wake = () => {
        done();
        resolve();
      };
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        reject(new PollTimeoutError(`${this.setup.key}: poll timed out`));
        return;
      }
      const timer =
        deadline === Infinity
          ? undefined
          : setTimeout(() => {
              done();
              reject(new PollTimeoutError(`${this.setup.key}: poll timed out after waiting ${Math.round(remaining)} ms`));
            }, remaining);
      this.wakeups.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** The offset to commit for each partition: one past the highest message given. */
  private nextOffsets(messages: readonly Message[]): TopicPartitionOffset[] {
    const highest = new Map<string, TopicPartitionOffset>();
    for (const m of messages) {
      if (!(m instanceof Message) || m.offset < 0) {
        throw new TypeError(`${this.setup.key}: only messages read from Kafka can be committed`);
      }
      const key = partitionKey(m.topic, m.partition);
      const current = highest.get(key);
      if (current === undefined || current.offset < m.offset + 1) highest.set(key, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    }
    return [...highest.values()];
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

function toMessage(raw: NativeMessage, highWaterMark: number): Message {
  return new Message({
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    highWaterMark,
    key: raw.key == null ? null : typeof raw.key === "string" ? Buffer.from(raw.key) : raw.key,
    value: raw.value,
    headers: toHeaders(raw.headers),
    time: new Date(raw.timestamp ?? Date.now()),
  });
}

function toHeaders(raw: NativeMessage["headers"]): Header[] {
  if (raw === undefined) return [];
  const headers: Header[] = [];
  for (const entry of raw) {
    for (const [key, value] of Object.entries(entry)) headers.push({ key, value: typeof value === "string" ? Buffer.from(value) : value });
  }
  return headers;
}
