import type { LibrdKafkaError, Producer as NativeProducer, TopicPartitionOffset } from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import type { ProducerConfig } from "./config.js";
import type { ConsumerGroup } from "./consumer-group.js";
import { ErrorCodes, KafkaError, toKafkaError } from "./errors.js";
import type { Message, MessageInput } from "./message.js";
import type { PartitionOffset } from "./offset-ledger.js";
import { settlesWithin } from "./core/deferred.js";
import { callback } from "./rdkafka.js";

// A transactional producer's transactions (transactionalID): librdkafka's transactional calls, one
// transaction open at a time, and what each kind of librdkafka failure means for the caller:
// - retriable (a timeout, a coordinator moving): the same call is made again, up to MAX_CALLS times;
// - abortable (txn_requires_abort: a failed delivery, a consumer group that no longer knows the member):
//   the transaction is aborted and the call rejects; the producer stays usable;
// - fatal (fenced by another instance with the same transactionalID, or librdkafka's fatal error): the
//   producer can no longer run transactions; every later call rejects with the same error;
// - unanswered (librdkafka never calls back, past transactionTimeout + STUCK_CALL_GRACE_MS): fatal as well.

/** How often one transactional call is made when librdkafka says retrying may succeed. */
const MAX_CALLS = 3;

/**
 * How long past transactionTimeout a transactional call may go unanswered before it is given up as
 * stuck. librdkafka bounds each call by the timeout it is given, except where it does not
 * (sendOffsetsToTransaction waiting for a group coordinator that left: librdkafka #5456, #5511); a
 * server waiting on such a call forever would hold its partitions and commit nothing.
 */
export const STUCK_CALL_GRACE_MS = 10_000;

/** The error codes that mean another producer with the same transactionalID (or the coordinator) fenced this one. */
const FENCED_CODES = new Set<number>([ErrorCodes.ERR__FENCED, ErrorCodes.ERR_PRODUCER_FENCED, ErrorCodes.ERR_INVALID_PRODUCER_EPOCH]);

/** What the transactions of a producer need from it. */
export interface TransactionHost {
  /** The producer's config key, named in errors. */
  readonly key: string;
  readonly transactionalID: string;
  /** How long each transactional call may wait (transactionTimeout). */
  readonly timeoutMs: number;
  readonly client: NativeProducer;
  readonly logger: Logger;
  /** Connects the producer (once). */
  connect(): Promise<void>;
  /** Writes the messages; resolves once they are queued, with the promise of their delivery. */
  write(messages: MessageInput[]): Promise<{ delivered: Promise<void> }>;
}

/**
 * The transaction open on a producer, as `producer.transaction()` hands it to its function: writes and
 * consumed offsets made through it are committed together, or not at all.
 */
export class Transaction {
  /** @internal made by {@link Transactions.begin}; not for direct use */
  constructor(private readonly transactions: Transactions) {}

  /**
   * Writes messages as part of the transaction. Resolves once they are queued: the commit waits for
   * their delivery, and one that could not be delivered makes the commit fail (the transaction is
   * aborted). read_committed readers see them only once the transaction commits.
   * @throws TypeError when a message is malformed (nothing of the call was written)
   */
  async writeMessages(...messages: MessageInput[]): Promise<void> {
    await this.transactions.write(messages);
  }

  /**
   * Adds the consumed messages' offsets to the transaction, with the consumer group's metadata: the
   * offset sent for a partition is one past the highest message given — the next one to read — and
   * it is committed for the group only if the transaction commits. Offsets stored with
   * `storeOffsets` since the group's last transaction go with them. A member the group no longer
   * knows (a rebalance after a session timeout) cannot commit them: the transaction is aborted.
   * @throws TypeError for a message that was not read from Kafka
   * @throws KafkaError when the offsets could not be added (the transaction is then aborted)
   */
  async sendOffsets(consumerGroup: ConsumerGroup, messages: readonly Message[]): Promise<void> {
    await this.transactions.sendOffsets(consumerGroup, messages);
  }
}

/** The transactions of one transactional producer: at most one open at a time. */
export class Transactions {
  #initialized: Promise<void> | undefined;
  #open: Transaction | undefined;
  /** The deliveries of the open transaction's writes. */
  #deliveries: Array<Promise<void>> = [];
  /** The fatal error after which no transaction can run (fenced). */
  #fatal: KafkaError | undefined;
  /** librdkafka left a call unanswered past its deadline. */
  #stuckCall = false;
  /** Transactions of `run` wait here for the one before them to end. */
  #turn: Promise<void> = Promise.resolve();

  constructor(private readonly host: TransactionHost) {}

  /** The transactions of a producer with a transactionalID; undefined for one without. */
  static of(
    producer: { key: string; config: ProducerConfig; logger: Logger },
    client: NativeProducer,
    io: Pick<TransactionHost, "connect" | "write">,
  ): Transactions | undefined {
    const { transactionalID, transactionTimeout } = producer.config;
    if (transactionalID === undefined) return undefined;
    return new Transactions({ key: producer.key, transactionalID, timeoutMs: transactionTimeout, client, logger: producer.logger, ...io });
  }

  /**
   * Whether librdkafka left a transactional call unanswered past its deadline: the client is stuck, and
   * closing it would wait for that call too.
   */
  get stuck(): boolean {
    return this.#stuckCall;
  }

  /** Whether a transaction is open (writes join it). */
  get isOpen(): boolean {
    return this.#open !== undefined;
  }

  /**
   * Runs `fn` inside a transaction of its own (after the transactions started before it end): commits
   * when it resolves, aborts when it throws.
   */
  async run<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const previous = this.#turn;
    let done!: () => void;
    this.#turn = new Promise((resolve) => (done = resolve));
    await previous;
    try {
      const tx = await this.begin();
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        await this.abort();
        throw error;
      }
      await this.commit();
      return result;
    } finally {
      done();
    }
  }

  /**
   * Initializes the producer's transactions now rather than at the first {@link begin} (once either
   * way): an earlier instance with the same transactionalID is fenced and the transaction it left open
   * aborted by its coordinator.
   * @throws KafkaError when librdkafka refuses (a later begin tries again, unless the error is fatal)
   */
  async init(): Promise<void> {
    this.#throwIfFatal();
    await this.#initialize();
  }

  /**
   * Opens a transaction (initializing the producer's transactions first, once).
   * @throws Error when one is open already; KafkaError when librdkafka refuses
   */
  async begin(): Promise<Transaction> {
    this.#throwIfFatal();
    if (this.#open !== undefined) throw new Error(`${this.host.key}: a transaction is already open on this producer`);
    await this.#initialize();
    await this.#call("BeginTransaction", (cb) => this.host.client.beginTransaction(cb));
    this.#open = new Transaction(this);
    return this.#open;
  }

  /** Commits the open transaction; an abortable failure (a write that failed, say) aborts it instead and rejects. */
  async commit(): Promise<void> {
    const open = this.#requireOpen("CommitTransaction");
    try {
      await this.#delivered();
    } catch (error) {
      await this.abort();
      throw error;
    }
    try {
      await this.#call("CommitTransaction", (cb) => this.host.client.commitTransaction(this.host.timeoutMs, cb));
    } catch (error) {
      if (error instanceof KafkaError && !error.fatal) await this.abort();
      throw error;
    } finally {
      if (this.#open === open) this.#open = undefined;
    }
  }

  /** Aborts the open transaction, if any: its writes are never seen by read_committed readers, its offsets not committed. */
  async abort(): Promise<void> {
    const open = this.#open;
    if (open === undefined) return;
    // Its writes reach the brokers first, rather than being purged from the queue: an aborted write is
    // then visible as such to a read_uncommitted reader, whatever the timing.
    await this.#delivered().catch(() => undefined);
    this.#open = undefined;
    if (this.#fatal !== undefined) return; // a fenced producer cannot abort; the coordinator has done it
    await this.#call("AbortTransaction", (cb) => this.host.client.abortTransaction(this.host.timeoutMs, cb));
  }

  /** Writes into the open transaction. @throws Error when none is open */
  async write(messages: MessageInput[]): Promise<void> {
    this.#requireOpen("WriteMessages");
    const { delivered } = await this.host.write(messages);
    delivered.catch(() => undefined); // observed by commit
    this.#deliveries.push(delivered);
  }

  /** Sends the offsets through the group's offset ledger; an abortable failure aborts the transaction. */
  async sendOffsets(group: ConsumerGroup, messages: readonly Message[]): Promise<void> {
    this.#requireOpen("SendOffsetsToTransaction");
    await group.sendToTransaction(messages, (offsets, groupHandle) => this.#sendOffsets(offsets, groupHandle));
  }

  async #sendOffsets(offsets: PartitionOffset[], groupHandle: unknown): Promise<void> {
    const consumer = groupHandle as Parameters<NativeProducer["sendOffsetsToTransaction"]>[1];
    const native: TopicPartitionOffset[] = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    try {
      await this.#call("SendOffsetsToTransaction", (cb) =>
        this.host.client.sendOffsetsToTransaction(native, consumer, this.host.timeoutMs, cb),
      );
    } catch (error) {
      if (error instanceof KafkaError && !error.fatal) await this.abort().catch(() => undefined);
      throw error;
    }
  }

  /** Waits for the open transaction's writes to be delivered; rejects with the first failure. */
  async #delivered(): Promise<void> {
    const deliveries = this.#deliveries;
    this.#deliveries = [];
    await Promise.all(deliveries);
  }

  async #initialize(): Promise<void> {
    this.#initialized ??= (async () => {
      await this.host.connect();
      await this.#call("InitTransactions", (cb) => this.host.client.initTransactions(this.host.timeoutMs, cb));
    })().catch((error: unknown) => {
      if (!(error instanceof KafkaError && error.fatal)) this.#initialized = undefined; // tried again by the next transaction
      throw error;
    });
    await this.#initialized;
  }

  /** One transactional call: made again while librdkafka says retrying may succeed; a fatal failure is kept. */
  async #call(operation: string, call: (cb: (err: LibrdKafkaError | null | undefined) => void) => void): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#withinDeadline(
          operation,
          callback<void>((cb) => call((err) => cb(err, undefined))),
        );
        return;
      } catch (err) {
        if (this.#stuckCall) throw err; // the deadline's fatal error, not librdkafka's
        const native = err as LibrdKafkaError;
        if (native.isRetriable === true && native.isFatal !== true && attempt < MAX_CALLS) {
          this.host.logger.warn({ err, operation, attempt }, "transactional call failed; calling again");
          continue;
        }
        throw this.#failure(err, operation);
      }
    }
  }

  /** The call's outcome; once transactionTimeout + STUCK_CALL_GRACE_MS have passed without one, the stuck call's fatal error. */
  async #withinDeadline(operation: string, call: Promise<void>): Promise<void> {
    const afterMs = this.host.timeoutMs + STUCK_CALL_GRACE_MS;
    call.catch(() => undefined); // an answer after the deadline is dropped, never an unhandled rejection
    if (!(await settlesWithin(call, afterMs))) throw this.#stuck(operation, afterMs);
    await call;
  }

  /** A call librdkafka never answered: the producer is given up (librdkafka allows no other transactional call meanwhile). */
  #stuck(operation: string, afterMs: number): KafkaError {
    this.#stuckCall = true;
    return this.#givenUp(
      new KafkaError(
        `${this.host.key}: ${operation} failed: librdkafka did not answer within ${afterMs} ms (transactionTimeout + ` +
          `${STUCK_CALL_GRACE_MS / 1000} s); this producer can run no more transactions (its open transaction is aborted ` +
          "by the coordinator once transactionTimeout has passed)",
        { operation, key: this.host.key, code: ErrorCodes.ERR__TIMED_OUT, fatal: true },
      ),
    );
  }

  /** Keeps the fatal error every later call rejects with; no transaction is open any more. */
  #givenUp(error: KafkaError): KafkaError {
    this.#fatal = error;
    this.#open = undefined;
    return error;
  }

  #failure(err: unknown, operation: string): KafkaError {
    const native = err as LibrdKafkaError;
    const { key, transactionalID } = this.host;
    const fenced = FENCED_CODES.has(native.code);
    if (!fenced && native.isFatal !== true) {
      const error = toKafkaError(err, operation, key);
      return native.isTxnRequiresAbort === true ? withMessage(error, `${error.message}; the transaction is aborted`) : error;
    }
    const reason = fenced
      ? `fenced: another producer with transactionalID ${JSON.stringify(transactionalID)} took over, or the transaction ran past ` +
        "transactionTimeout (each running instance needs its own transactionalID)"
      : `librdkafka's fatal error for transactionalID ${JSON.stringify(transactionalID)}`;
    const error = new KafkaError(`${key}: ${operation} failed: ${reason}: ${native.message}; this producer can run no more transactions`, {
      operation,
      key,
      code: native.code ?? 0,
      fatal: true,
      cause: err,
    });
    return this.#givenUp(error);
  }

  #requireOpen(operation: string): Transaction {
    this.#throwIfFatal();
    if (this.#open === undefined) {
      throw new Error(
        `${this.host.key}: ${operation} outside a transaction: the producer has a transactionalID, so it writes inside producer.transaction()`,
      );
    }
    return this.#open;
  }

  #throwIfFatal(): void {
    if (this.#fatal !== undefined) throw this.#fatal;
  }
}

function withMessage(error: KafkaError, message: string): KafkaError {
  return Object.assign(error, { message });
}
