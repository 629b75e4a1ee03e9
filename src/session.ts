import { FetchPace } from "./fetch-pace.js";
import type { Assignment, LibrdKafkaError, Message as NativeMessage, TopicPartitionOffset } from "@confluentinc/kafka-javascript";
import { setTimeout as delay } from "node:timers/promises";
import { Backoff } from "./backoff.js";
import type { ConsumerPort, ConsumerPortHooks, PartitionRef } from "./consumer-port.js";
import { ConfigError } from "./core/errors.js";
import { ClosedError, KafkaError } from "./errors.js";
import { EventQueue } from "./event-queue.js";
import { RevokedPartitions, type AssignedPartitions } from "./events.js";
import { Message } from "./message.js";
import { nativeConsumerPort } from "./native-consumer-port.js";
import { assignedMessages, highWaterMark } from "./native-message.js";
import { OffsetLedger } from "./offset-ledger.js";
import { SessionRebalance } from "./session-rebalance.js";
import { isIncrementalGroup, nativeStandbyPort, StandbyFetch } from "./standby-fetch.js";
import type { NextOptions, SessionSetup } from "./session-setup.js";

/** What a session hands out, in the order it happened. */
export type SessionEvent = Message | AssignedPartitions | RevokedPartitions | KafkaError;

/** Most messages taken from librdkafka in one go. */
const FETCH_BATCH = 500;
/** How much of the application's consumption a fetch brings, and the longest a polling application goes without a native call (see FetchPace). */
const FETCH_AHEAD_MS = 1000;
const KEEP_ALIVE_MS = 1000;

/**
 * Owns one native consumer: connecting, subscribing or assigning, the group's rebalances, and fetching
 * into an {@link EventQueue}, with one backoff ({@link Backoff}, `readBackoffMin` to `readBackoffMax`)
 * between failed fetches and between failed connects, and one classification of their failures.
 * Offsets belong to its {@link OffsetLedger}. Every native call goes through its {@link ConsumerPort}.
 *
 * A configuration librdkafka refuses is final: the first wait rejects with the ConfigError, and so
 * does every later one (retrying cannot help).
 *
 * Consumer and ConsumerGroup are faces over a session.
 */
export class ConsumerSession {
  readonly ledger: OffsetLedger;
  private readonly port: ConsumerPort;
  private readonly queue: EventQueue<SessionEvent>;
  private readonly pace = new FetchPace(FETCH_BATCH, FETCH_AHEAD_MS, KEEP_ALIVE_MS);
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Waits after consecutive fetch errors. */
  private readonly fetchBackoff: Backoff;
  /** Waits after consecutive failed connects. */
  private readonly connectBackoff: Backoff;
  /** No connect is tried before this time (Date.now()): the backoff step after a failed one. */
  private connectNotBefore = 0;
  /** Ends a connect's backoff wait when the session closes. */
  private readonly closeSignal = new AbortController();
  private connecting: Promise<void> | undefined;
  /** Set once connected and joined: the common path of next() then skips the connection wait. */
  private connected = false;
  /** The configuration librdkafka refused: every call rejects with it. */
  private refused: ConfigError | undefined;
  private fetching: Promise<void> | undefined;
  /** The most messages a take waiting on the empty queue will take at once; 0 when none waits. */
  private waitingTake = 0;
  /** Serves the group's rebalances, and hands revocations to the application (its RevocationHandshake). */
  private readonly rebalance: SessionRebalance;
  /** Fetches the kept partitions while librdkafka pauses them in a rebalance; undefined when rebalances are eager. */
  private readonly standby: StandbyFetch | undefined;
  private closing = false;
  private closed = false;

  constructor(private readonly setup: SessionSetup) {
    const hooks: ConsumerPortHooks = {
      error: (error) => this.queue.push(error),
      ...(setup.source.kind === "group"
        ? { rebalance: (err: LibrdKafkaError, assignment: Assignment[]) => this.rebalance.onRebalance(err, assignment) }
        : {}),
    };
    this.port = (setup.port ?? ((h) => nativeConsumerPort(setup, h)))(hooks);
    this.sleep = setup.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined));
    const backoff = { initialMs: setup.config.readBackoffMin, maxMs: setup.config.readBackoffMax };
    this.fetchBackoff = new Backoff(backoff);
    this.connectBackoff = new Backoff(backoff);
    this.queue = new EventQueue(setup.key);
    this.ledger = new OffsetLedger(
      setup.key,
      {
        store: (offsets) => this.port.store(offsets),
        commit: (offsets) => this.port.commit(offsets),
        committed: (partitions) => this.port.committed(partitions),
        pause: (ms) => this.sleep(ms),
        error: (err, operation) => this.port.error(err, operation),
        debug: (err, message) => setup.logger.debug({ err }, message),
        groupHandle: () => this.port.groupHandle(),
      },
      setup.config.commitInterval === 0,
    );
    const incremental = setup.source.kind === "group" && setup.deferRevocation && isIncrementalGroup(setup.properties);
    const standbyPort = (setup.standbyPort ?? (() => (incremental ? nativeStandbyPort(setup) : undefined)))();
    this.standby = standbyPort === undefined ? undefined : new StandbyFetch(standbyPort, setup.logger);
    this.rebalance = new SessionRebalance({
      key: setup.key,
      port: this.port,
      ledger: this.ledger,
      push: (event) => this.queue.push(event),
      standby: this.standby,
      deferRevocation: setup.deferRevocation,
      logger: setup.logger,
      closing: () => this.closing,
      fetching: () => this.fetching,
      positions: () => this.positions(),
    });
  }

  /**
   * Connects (once) and subscribes or assigns. After a failed connect the next one waits for the
   * connect backoff's step.
   */
  ready(): Promise<void> {
    if (this.refused !== undefined) return Promise.reject(this.refused);
    if (this.closed || this.closing) return Promise.reject(new ClosedError(`reader ${this.setup.key}`, "poll"));
    this.connecting ??= this.connectAndJoin().then(
      () => this.connectBackoff.reset(),
      (err: unknown) => {
        this.connecting = undefined;
        if (err instanceof ConfigError) this.refused = err;
        else this.connectNotBefore = Date.now() + this.connectBackoff.next();
        throw err;
      },
    );
    return this.connecting;
  }

  /**
   * The next event. Rejects when `signal` aborts or `timeoutMs` passes (PollTimeoutError), and with the
   * ConfigError of a configuration librdkafka refused; errors of the fetch and of connecting are
   * returned as KafkaError events, at most one per backoff step.
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
    if (options.releaseRevoked !== false) await this.rebalance.revocations.releaseDelivered();
    for (;;) {
      options.signal?.throwIfAborted();
      if (this.closing) throw new ClosedError(`reader ${this.setup.key}`, "poll");
      const taken = this.queue.shiftWhile(max, isMessage);
      if (taken.length === 0) {
        const first = this.queue.shift();
        if (first !== undefined) taken.push(first);
        if (first instanceof RevokedPartitions) this.rebalance.revocations.delivered();
      }
      if (taken.length > 0) {
        if (taken[0] instanceof Message) this.pace.taken(taken.length);
        // Fetch ahead while the application works through the queue, so it rarely waits for a fetch.
        if (this.pace.shouldFetch(this.queue.length)) this.startFetch();
        return taken;
      }
      this.startFetch();
      this.waitingTake = Math.max(this.waitingTake, max);
      try {
        await this.queue.waitForPush(options.signal, deadline);
      } finally {
        this.waitingTake = 0;
      }
    }
  }

  /**
   * Waits for the connection as long as the caller is willing to wait. A failed connection is an
   * event (the next call tries again, after the connect backoff); a refused configuration and the
   * wait itself reject.
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
    if (!this.port.isConnected() || !this.ledger.owns) return;
    await this.ledger.commitStored();
  }

  /** Moves the read position of an assigned partition. */
  async seek(topic: string, partition: number, offset: number): Promise<void> {
    await this.ready();
    await this.waitForFetch();
    this.queue.clear();
    await this.port.seek(topic, partition, offset).catch((err: unknown) => {
      throw this.port.error(err, "SetOffset");
    });
  }

  /** The cached low and high watermarks of a partition (updated by every fetch). */
  watermarks(topic: string, partition: number): { low: number; high: number } {
    return this.port.watermarks(topic, partition);
  }

  /** Asks the partition leader for the current watermarks. */
  async queryWatermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    await this.ready();
    return this.port.queryWatermarks(topic, partition).catch((err: unknown) => {
      throw this.port.error(err, "ReadLag");
    });
  }

  /** The offset of the first message at or after `time` (the high watermark when there is none). */
  async offsetForTime(topic: string, partition: number, time: Date): Promise<number> {
    await this.ready();
    const [found] = await this.port.offsetsForTimes([{ topic, partition, offset: time.getTime() }]).catch((err: unknown) => {
      throw this.port.error(err, "SetOffsetAt");
    });
    if (found === undefined || found.offset < 0) return (await this.queryWatermarks(topic, partition)).high;
    return found.offset;
  }

  /** The position (next offset to read) of each assigned partition, as librdkafka knows it. */
  positions(): TopicPartitionOffset[] {
    try {
      return this.port.position();
    } catch {
      return [];
    }
  }

  pause(partitions: readonly PartitionRef[]): void {
    this.port.pause([...partitions]);
  }

  resume(partitions: readonly PartitionRef[]): void {
    this.port.resume([...partitions]);
  }

  /** Stops fetching, commits stored offsets (once), leaves the group and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    this.closeSignal.abort();
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
    this.rebalance.revocations.leave();
    // Disconnecting runs librdkafka's close: it revokes what is left (released at once now that the
    // handshake is leaving) and leaves the group, so the others take over without a session timeout.
    await this.port.disconnect();
    await this.standby?.close().catch((err: unknown) => this.setup.logger.debug({ err }, "closing the standby consumer failed"));
  }

  private async connectAndJoin(): Promise<void> {
    const wait = this.connectNotBefore - Date.now();
    if (wait > 0) await this.sleep(wait, this.closeSignal.signal);
    if (this.closing) throw new ClosedError(`reader ${this.setup.key}`, "poll");
    await this.port.connect();
    this.connected = true;
    const source = this.setup.source;
    if (source.kind === "group") {
      this.standby?.connect();
      this.port.subscribe(source.topics);
    } else {
      this.port.assign([{ topic: source.topic, partition: source.partition, offset: source.offset }]);
      this.ledger.assign([source]);
    }
  }

  private startFetch(): void {
    if (this.closing) return;
    this.standby?.fetchAhead(
      FETCH_BATCH,
      (batch) => this.pushFetched(batch),
      () => this.queue.wake(),
    );
    if (this.fetching !== undefined) return;
    const fetching: Promise<void> = this.fetchBatch().finally(() => {
      // A fetch that brought messages cleared the flag before queuing them, and the take they woke may
      // have started the next fetch already: only this fetch's own flag is cleared here.
      if (this.fetching === fetching) this.fetching = undefined;
      this.queue.wake();
    });
    this.fetching = fetching;
  }

  private async waitForFetch(): Promise<void> {
    while (this.fetching !== undefined) await this.fetching;
    await this.standby?.idle();
  }

  private pushFetched(batch: NativeMessage[]): void {
    this.queue.pushAll(
      assignedMessages(
        batch,
        (topic, partition) => this.ledger.isAssigned(topic, partition),
        (topic, partition) => highWaterMark(this.port, topic, partition),
      ),
    );
  }

  private async fetchBatch(): Promise<void> {
    // The offsets stored since the last round go to librdkafka in one call, so its background commit
    // sees them within one fetch round.
    this.ledger.flush();
    try {
      const batch = await this.port.consume(this.pace.fetchStarts(this.queue.length));
      this.fetchBackoff.reset();
      // Done before its messages are queued: whoever takes them starts the next fetch at once, and the
      // native consumer gathers it while the application handles these (else each fetch waits for them).
      this.fetching = undefined;
      if (batch.length > 0 && batch.length <= this.waitingTake && this.queue.length === 0) this.fetchAheadOfTake(batch.length);
      this.pushFetched(this.standby?.admitMember(batch) ?? batch);
    } catch (err) {
      if (this.closing) return;
      this.queue.push(this.port.error(err, `FetchMessage (${this.describeSource()})`));
      await this.sleep(this.fetchBackoff.next());
    }
  }

  /**
   * A take waits on the empty queue for at least `count` messages: it will take them all and then start
   * the next fetch. Started now instead, librdkafka gathers it while these are turned into messages,
   * queued, taken and handled: on a busy consumer the gathering would otherwise wait for them. They count
   * as taken now, so the new fetch's size follows the application's pace as before.
   */
  private fetchAheadOfTake(count: number): void {
    this.pace.handedOver(count);
    this.startFetch();
  }

  /** What the session reads, for error messages: "topic t", "topics a, b" or "topic t partition 1". */
  private describeSource(): string {
    const source = this.setup.source;
    if (source.kind === "partition") return `topic ${source.topic} partition ${source.partition}`;
    return source.topics.length === 1 ? `topic ${source.topics[0]}` : `topics ${source.topics.join(", ")}`;
  }
}

function isMessage(event: SessionEvent): boolean {
  return event instanceof Message;
}
