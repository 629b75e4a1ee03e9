import { ErrorCodes, KafkaError } from "./errors.js";
import { Message } from "./message.js";

/** A partition's offset as the native client takes and reports it. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** A committed offset as the coordinator reports it, with the partition's error if any. */
export type CommittedOffset = PartitionOffset & { error?: { message: string; code: number } };

/** The native calls the ledger makes: the only ones of the consume side that touch offsets. */
export interface OffsetPort {
  /** Hands offsets to librdkafka's store; its background commit (every commitInterval) picks them up. */
  store(offsets: PartitionOffset[]): void;
  /** Commits these offsets, or every stored one (null); resolves when the request went out. */
  commit(offsets: PartitionOffset[] | null): Promise<void>;
  /** Asks the coordinator for the committed offsets of these partitions. */
  committed(partitions: Array<{ topic: string; partition: number }>): Promise<CommittedOffset[]>;
  /** Waits a little before asking the coordinator again. */
  pause(ms: number): Promise<void>;
  /** The error to throw for a failed native call of `operation`. */
  error(err: unknown, operation: string): KafkaError;
  /** Where a store that could not be made is noted (a partition revoked in the meantime). */
  debug(err: unknown, message: string): void;
  /** The native consumer, whose group metadata a transaction's offsets are sent with (KIP-447). */
  groupHandle(): unknown;
}

/**
 * Adds offsets to the open transaction of a transactional producer, with the group metadata of the
 * consumer `groupHandle` (see {@link OffsetLedger.sendToTransaction}).
 */
export type TransactionOffsetSink = (offsets: PartitionOffset[], groupHandle: unknown) => Promise<void>;

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The one owner of offsets on the consume side: what the application marked handled (the next offset
 * per partition), which partitions may still take offsets, and committing them.
 *
 * librdkafka runs with auto-commit on and auto-store off, so only stored offsets are committed: in the
 * background every `commitInterval`, and by this ledger when partitions are revoked and on close. Stores
 * are gathered and handed to librdkafka in one call per fetch round ({@link flush}) rather than one per
 * message.
 *
 * Exactly-once ({@link useTransactions}): nothing is stored or committed any more; the offsets go into
 * the producer's open transaction instead ({@link sendToTransaction}) and are committed when it commits.
 */
export class OffsetLedger {
  /** Partitions this member owns. */
  readonly #assigned = new Set<string>();
  /** Partitions revoked whose release waits for the application: they still take offsets. */
  readonly #revoked = new Set<string>();
  /** Next offsets stored since the last flush, by partition. */
  readonly #pending = new Map<string, PartitionOffset>();
  /** The highest next offset handed to librdkafka's store, by partition. */
  readonly #stored = new Map<string, number>();
  #lastTopic: string | undefined;
  #lastPartition = -1;
  #lastKey = "";
  /** Offsets go into transactions only: never stored for the background commit, never committed by this ledger. */
  #transactional = false;

  /**
   * @param name the consumer's config key, named in errors
   * @param synchronous `commitInterval = 0`: {@link commitMessages} commits at once instead of storing
   */
  constructor(
    private readonly name: string,
    private readonly port: OffsetPort,
    private readonly synchronous = false,
  ) {}

  /**
   * Exactly-once from now on: offsets are handed to transactions ({@link sendToTransaction}), never to
   * librdkafka's store (so its background commit has nothing to commit) and never committed here.
   */
  useTransactions(): void {
    this.#transactional = true;
  }

  /** Whether offsets go into transactions (see {@link useTransactions}). */
  get transactional(): boolean {
    return this.#transactional;
  }

  /** The group (or the application) gave us these partitions. */
  assign(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const tp of partitions) {
      this.#assigned.add(key(tp.topic, tp.partition));
      this.#revoked.delete(key(tp.topic, tp.partition));
    }
  }

  /**
   * The group takes these partitions away. Until {@link release}, offsets of handlers still running
   * for them are kept, and committed before the partitions go to their next owner.
   */
  revoke(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const tp of partitions) {
      this.#assigned.delete(key(tp.topic, tp.partition));
      this.#revoked.add(key(tp.topic, tp.partition));
    }
  }

  /** The revoked partitions are gone: nothing more is stored for them. */
  release(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const tp of partitions) {
      const k = key(tp.topic, tp.partition);
      this.#revoked.delete(k);
      this.#pending.delete(k);
      this.#stored.delete(k);
    }
  }

  /** Whether messages of this partition are still handed out (it is assigned, not revoked). */
  isAssigned(topic: string, partition: number): boolean {
    return this.#assigned.has(key(topic, partition));
  }

  /** Whether offsets of this partition can be stored (assigned, or revoked and not yet released). */
  mayStore(topic: string, partition: number): boolean {
    const k = key(topic, partition);
    return this.#assigned.has(k) || this.#revoked.has(k);
  }

  /** Whether offsets are held for revoked partitions not yet released. */
  get hasRevoked(): boolean {
    return this.#revoked.size > 0;
  }

  /** Whether any partition is assigned or awaiting release. */
  get owns(): boolean {
    return this.#assigned.size > 0 || this.#revoked.size > 0;
  }

  /**
   * Records messages as handled: per partition, one past the highest. No native call now; see
   * {@link flush}. Offsets of partitions this member no longer owns are dropped (their next owner reads
   * those messages again).
   * @throws TypeError for a message that was not read from Kafka
   */
  store(messages: readonly Message[]): void {
    for (const m of messages) this.#check(m);
    // A batch is a run of one partition: the partition's entry is looked up once per run, with the
    // run's highest offset.
    let runEnd = 0;
    for (let start = 0; start < messages.length; start = runEnd) {
      const first = messages[start]!;
      let highest = first.offset;
      for (runEnd = start + 1; runEnd < messages.length; runEnd++) {
        const m = messages[runEnd]!;
        if (m.partition !== first.partition || m.topic !== first.topic) break;
        if (m.offset > highest) highest = m.offset;
      }
      this.#storeNext(first.topic, first.partition, highest + 1);
    }
  }

  /** Raises the pending offset of a partition this member holds (or is giving back) to `next`. */
  #storeNext(topic: string, partition: number, next: number): void {
    const k = this.#keyOf(topic, partition);
    if (!this.#assigned.has(k) && !this.#revoked.has(k)) return;
    // Called once per run of one partition's messages: the pending entry is updated in place.
    const pending = this.#pending.get(k);
    if (pending === undefined) this.#pending.set(k, { topic, partition, offset: next });
    else if (pending.offset < next) pending.offset = next;
  }

  /** The map key of a partition; the last one is kept, since consecutive messages mostly share a partition. */
  #keyOf(topic: string, partition: number): string {
    if (topic !== this.#lastTopic || partition !== this.#lastPartition) {
      this.#lastTopic = topic;
      this.#lastPartition = partition;
      this.#lastKey = key(topic, partition);
    }
    return this.#lastKey;
  }

  #check(m: Message): void {
    if (!(m instanceof Message) || m.offset < 0) throw new TypeError(`${this.name}: only messages read from Kafka can be committed`);
  }

  /** Hands the offsets stored since the last flush to librdkafka: one native call for all partitions. */
  flush(): void {
    // With transactions the pending offsets wait for the next transaction (sendToTransaction).
    if (this.#pending.size === 0 || this.#transactional) return;
    const offsets = [...this.#pending.values()].filter((tp) => this.mayStore(tp.topic, tp.partition));
    this.#pending.clear();
    if (offsets.length === 0) return;
    try {
      this.port.store(offsets);
      for (const tp of offsets) {
        const k = key(tp.topic, tp.partition);
        if ((this.#stored.get(k) ?? -1) < tp.offset) this.#stored.set(k, tp.offset);
      }
    } catch (err) {
      // A partition revoked in the meantime cannot take an offset; its next owner reads the message again.
      this.port.debug(err, "offset not stored");
    }
  }

  /** The next offset handed to librdkafka's store for a partition (-1 when none). */
  storedOffset(topic: string, partition: number): number {
    return this.#stored.get(key(topic, partition)) ?? -1;
  }

  /**
   * Commits the messages' offsets now (one round-trip) and confirms them with the coordinator; they are
   * stored first, so a background commit cannot go back.
   */
  async commit(messages: readonly Message[]): Promise<void> {
    if (this.#transactional) {
      throw new Error(`${this.name}: offsets are committed by transactions here (transactionalProducer): send them with tx.sendOffsets`);
    }
    const offsets = this.nextOffsets(messages);
    if (offsets.length === 0) return;
    this.store(messages);
    this.flush();
    await this.port.commit(offsets).catch((err: unknown) => {
      throw this.port.error(err, "CommitMessages");
    });
    await this.confirm(offsets);
  }

  /**
   * What `commitMessages` means for this consumer: a synchronous commit with `commitInterval = 0`, else
   * a store that the background commit picks up.
   */
  async commitMessages(messages: readonly Message[]): Promise<void> {
    if (this.synchronous && !this.#transactional) await this.commit(messages);
    else this.store(messages);
  }

  /** Commits every stored offset not yet committed; "nothing to commit" is no failure. */
  async commitStored(): Promise<void> {
    if (this.#transactional) return; // committed by the transactions they were sent with
    this.flush();
    await this.port.commit(null).catch((err: unknown) => {
      if ((err as { code?: unknown }).code === ErrorCodes.ERR__NO_OFFSET) return;
      throw this.port.error(err, "CommitMessages");
    });
  }

  /**
   * Hands the next offsets of `messages` — and those stored since the last transaction — to the open
   * transaction, with the consumer's group metadata (KIP-447: a member the group no longer knows, or of
   * an older generation, cannot commit them). They are committed if and when that transaction commits.
   * Partitions this member no longer owns are left out (their next owner reads those messages again).
   * @throws TypeError for a message that was not read from Kafka
   * @returns the offsets sent
   */
  async sendToTransaction(messages: readonly Message[], sink: TransactionOffsetSink): Promise<PartitionOffset[]> {
    this.store(messages);
    const offsets = [...this.#pending.values()].filter((tp) => this.mayStore(tp.topic, tp.partition)).map((tp) => ({ ...tp }));
    this.#pending.clear();
    if (offsets.length > 0) await sink(offsets, this.port.groupHandle());
    return offsets;
  }

  /**
   * The native commit returns as soon as the request is queued, without the coordinator's answer. The
   * coordinator handles a member's requests in order, so asking it for the committed offsets right
   * after shows whether the commit took, and its reason when it did not.
   */
  private async confirm(offsets: PartitionOffset[]): Promise<void> {
    const request = offsets.map(({ topic, partition }) => ({ topic, partition }));
    let missing: CommittedOffset[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const committed = await this.port.committed(request).catch((err: unknown) => {
        throw this.port.error(err, "CommitMessages");
      });
      missing = offsets
        .map((want) => {
          const got = committed.find((c) => c.topic === want.topic && c.partition === want.partition);
          const has = typeof got?.offset === "number" && got.offset >= 0 ? got.offset : -1;
          return got?.error || has < want.offset ? { ...want, ...(got?.error ? { error: got.error } : {}), offset: has } : undefined;
        })
        .filter((m): m is CommittedOffset => m !== undefined);
      if (missing.length === 0) return;
      if (missing.some((m) => m.error)) break;
      await this.port.pause(50);
    }
    const first = missing[0]!;
    const wanted = offsets.find((o) => o.topic === first.topic && o.partition === first.partition)?.offset;
    const reason = first.error
      ? first.error.message
      : first.offset < 0
        ? "the group coordinator did not record it (an unknown topic or partition, or a partition this member no longer owns)"
        : `the group coordinator still has offset ${first.offset}, not ${wanted}`;
    throw new KafkaError(`${this.name}: CommitMessages failed for ${first.topic} [${first.partition}]: ${reason}`, {
      operation: "CommitMessages",
      key: this.name,
      code: first.error?.code ?? ErrorCodes.ERR__FAIL,
      retriable: true,
    });
  }

  /**
   * The offset to commit for each partition: one past the highest message given.
   * @throws TypeError for a message that was not read from Kafka
   */
  nextOffsets(messages: readonly Message[]): PartitionOffset[] {
    const highest = new Map<string, PartitionOffset>();
    for (const m of messages) {
      this.#check(m);
      const k = key(m.topic, m.partition);
      const current = highest.get(k);
      if (current === undefined || current.offset < m.offset + 1)
        highest.set(k, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    }
    return [...highest.values()];
  }
}
