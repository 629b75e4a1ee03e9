import type { LibrdKafkaError, DeliveryReport, MessageHeader } from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import type { Balancer } from "./balancer.js";
import { Intercepted, type CallSite } from "./call.js";
import type { ProducerConfig } from "./config.js";
import { ClosedError, ErrorCodes, KafkaError, toKafkaError } from "./errors.js";
import type { Interceptor } from "./interceptors.js";
import type { LibrdkafkaProperties } from "./librdkafka-properties.js";
import { IN_FLIGHT, Message, messageFromInput, type MessageInput } from "./message.js";
import { watchStatistics } from "./client-statistics.js";
import { countDeliveryError } from "./producer-metrics.js";
import { connectClient, disconnectClient, FailureLog, native, nativeProducer } from "./rdkafka.js";
import { clientOnlyOrigins, refusedConfigError, type PropertyOrigins } from "./refused-config.js";
import { ConfigError } from "./core/errors.js";
import type { ProducerSerde } from "./schema-registry/producer-serde.js";
import { PendingWrite } from "./pending-write.js";
import { Transactions, type Transaction } from "./transaction.js";
import { TopicPartitions } from "./topic-partitions.js";

/** Called with the messages an `async = true` producer could not deliver. */
export type AsyncErrorHandler = (error: KafkaError, messages: Message[]) => void;

/** Everything a Producer is built from; the Component assembles it. */
export interface ProducerSetup {
  name: string;
  key: string;
  config: ProducerConfig;
  properties: LibrdkafkaProperties;
  brokers: readonly string[];
  balancer: Balancer;
  interceptors: readonly Interceptor[];
  logger: Logger;
  /** Timeout of metadata requests and of connecting. */
  requestTimeoutMs: number;
  /** Where `properties` come from, to name the key behind a configuration librdkafka refuses. */
  origins?: PropertyOrigins;
  /**
   * @internal serializes values and keys through the schema registry (valueFormat / keyFormat); absent:
   * bytes and strings. Internal, so that the published declarations do not pull in the serde library's.
   */
  serde?: ProducerSerde;
}

/**
 * Writes messages to Kafka: `kafka.producers.<name>`.
 *
 * `writeMessages` resolves once every message is acknowledged as `requiredAcks` asks, or rejects with
 * the broker's reason; with `async = true` it resolves once the messages are queued, and failures go to
 * the log and to {@link onAsyncError}. Partitions are chosen by the configured balancer unless a
 * message names its own.
 */
export class Producer {
  /** Its entry's name: `<name>` of `kafka.producers.<name>`. */
  readonly name: string;
  /** Its full config key, e.g. "kafka.producers.orders"; names it in errors, logs and metrics. */
  readonly key: string;
  private readonly client: InstanceType<typeof native.Producer>;
  private readonly failures: FailureLog;
  private readonly intercepted: Intercepted;
  private readonly partitions: TopicPartitions;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private asyncErrorHandler: AsyncErrorHandler | undefined;
  private readonly transactions: Transactions | undefined; // with a transactionalID: every write joins its open transaction

  /** @internal made by the component ({@link Component.producer}); not for direct use */
  constructor(private readonly setup: ProducerSetup) {
    this.name = setup.name;
    this.key = setup.key;
    this.client = nativeProducer(setup.key, setup.properties);
    this.failures = new FailureLog(setup.properties).attach(this.client);
    this.client.on("delivery-report", (err, report) => this.onDeliveryReport(err, report));
    this.client.on("event.error", (err) =>
      this.setup.logger.warn({ err: this.failures.error(err, "produce", this.key) }, "producer error"),
    );
    watchStatistics(this.client, setup.key, "", setup.logger);
    this.partitions = new TopicPartitions({
      key: setup.key,
      client: this.client,
      failures: this.failures,
      logger: setup.logger,
      requestTimeoutMs: setup.requestTimeoutMs,
      isClosed: () => this.closed,
    });
    const site: CallSite = { key: setup.key, name: setup.name, kind: "producer", brokers: setup.brokers, topic: setup.config.topic ?? "" };
    this.intercepted = new Intercepted(site, setup.interceptors);
    this.transactions = Transactions.of(setup, this.client, {
      connect: () => this.connect(),
      write: async (messages) => this.send(messages, false).then((w) => ({ delivered: w.done.then(() => this.throwIfFailed(w)) })),
    });
  }

  /** Receives the failures of an `async = true` producer (they are logged as well). */
  onAsyncError(handler: AsyncErrorHandler): void {
    this.asyncErrorHandler = handler;
  }

  /**
   * Writes the messages and resolves when all are delivered (or, with `async = true`, queued).
   *
   * All messages are checked first (types of key, value, headers, partition, topic, time): when one is
   * wrong the call rejects with a TypeError naming its index and the field, and none of its messages is
   * sent. With `valueFormat` / `keyFormat` the values / keys are serialized first, in the same way: one
   * that does not match the schema rejects the call (SchemaEncodeError) and nothing of it is sent. A topic whose metadata is not known yet (a topic the cluster creates on first use, brokers
   * unreachable) is waited for until `writeTimeout` has passed since the call.
   * @throws TypeError when a message is malformed (nothing of the call was sent)
   * @throws SchemaEncodeError when a value or key does not match its schema (nothing was sent)
   * @throws SchemaRegistryError when the registry is unreachable within its timeout, or refuses the schema (nothing was sent)
   * @throws KafkaError naming the topic and the broker's reason when a message could not be delivered;
   *   its `failed` property lists those messages (the others were delivered).
   * @throws ConfigError naming the key and librdkafka's reason when librdkafka refuses the configuration
   *   as it creates the client (on the first write); every later write rejects with the same error.
   */
  async writeMessages(...given: MessageInput[]): Promise<void> {
    if (this.closed) throw new ClosedError(`producer ${this.key}`, "writeMessages");
    if (this.transactions !== undefined) return this.transactions.write(given);
    const write = await this.send(given, !this.setup.config.async);
    if (this.setup.config.async) void write.done.then(() => this.reportAsyncFailures(write));
  }

  /**
   * Runs `fn` inside a transaction (needs `transactionalID`; one after the other): what it writes through
   * `tx` (or this producer) and the offsets it sends with `tx.sendOffsets` are committed together when
   * `fn` resolves; when it throws, the transaction is aborted and the call rejects with what `fn` threw.
   * @throws ConfigError when the producer has no transactionalID
   * @throws KafkaError when the transaction could not be committed (it was aborted): `fatal` when this
   *   producer was fenced by another with the same transactionalID — its message names it
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.closed) throw new ClosedError(`producer ${this.key}`, "transaction");
    return this.transactional("transaction").run(fn);
  }

  /** @internal the transactions of a producer with a transactionalID (the Consumer Server opens and commits them) */
  transactional(operation: string): Transactions {
    if (this.transactions === undefined) {
      throw ConfigError.atKey(`${this.key}.transactionalID`, `is required for ${operation}: set it to make the producer transactional`);
    }
    return this.transactions;
  }

  /** Checks, serializes and queues the messages; resolves once they are queued (`wait`: delivered). */
  private async send(given: MessageInput[], wait: boolean): Promise<PendingWrite> {
    const inputs = this.setup.serde === undefined ? given : await this.setup.serde.serialize(given, this.setup.config.topic);
    const now = new Date();
    // Every message is checked before the first is produced: a call with a bad message sends nothing.
    const messages = new Array<Message>(inputs.length);
    for (let i = 0; i < inputs.length; i++) messages[i] = this.toMessage(inputs[i]!, i, now);
    const deadline = now.getTime() + this.setup.config.writeTimeout;
    let queued: PendingWrite | undefined;
    await this.intercepted.run("WriteMessages", messages, undefined, async (msgs) => {
      await this.connect();
      const write = new PendingWrite(msgs);
      queued = write;
      await this.enqueueAll(write, deadline);
      if (!wait) return;
      await write.done;
      this.throwIfFailed(write);
    });
    return queued!;
  }

  /** Delivers what is queued, then closes the connection. Writes after this reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connecting === undefined) return;
    await this.connecting.catch(() => undefined);
    const disconnect = () => disconnectClient(this.client, this.setup.config.writeTimeout);
    if (this.transactions?.stuck) {
      // librdkafka's disconnect would wait for the transactional call it left unanswered: started, not awaited.
      this.setup.logger.warn("closing without waiting for librdkafka, which left a transactional call unanswered");
      return void disconnect().catch(() => undefined);
    }
    await this.transactions?.abort().catch((err: unknown) => this.setup.logger.warn({ err }, "aborting a transaction on close failed"));
    await disconnect();
  }

  private toMessage(input: MessageInput, index: number, now: Date): Message {
    if (input === null || typeof input !== "object") {
      throw new TypeError(`${this.key}: writeMessages: message ${index} must be an object with a value, got ${typeof input}`);
    }
    const topic = input.topic ?? this.setup.config.topic;
    if (topic === undefined || topic === "") {
      throw new TypeError(
        `${this.key}: writeMessages: message ${index} has no topic and the producer has none configured (set ${this.key}.topic)`,
      );
    }
    try {
      return messageFromInput(input, topic, now, index);
    } catch (err) {
      throw new TypeError(`${this.key}: writeMessages: ${(err as Error).message}`);
    }
  }

  private connect(): Promise<void> {
    // A failed connection is forgotten so that the next write tries again (the cluster may be back);
    // a configuration librdkafka refused is kept: every write rejects with it, nothing is tried again.
    const origins = this.setup.origins ?? clientOnlyOrigins(this.key);
    this.connecting ??= connectClient(this.client, this.failures, this.setup.requestTimeoutMs, this.key, (reason) =>
      refusedConfigError(origins, reason),
    ).then(
      () => this.client.setPollInBackground(true),
      (err: unknown) => {
        if (!(err instanceof ConfigError)) this.connecting = undefined;
        throw err;
      },
    );
    return this.connecting;
  }

  private async enqueueAll(write: PendingWrite, deadline: number): Promise<void> {
    let index = 0;
    // A write usually goes to one topic: its partitions are looked up once, not per message.
    let topic: string | undefined;
    let partitions: number[] = [];
    try {
      for (; index < write.messages.length; index++) {
        const message = write.messages[index]!;
        if (message.partition < 0) {
          if (message.topic !== topic) {
            topic = message.topic;
            partitions = this.partitions.known(topic) ?? (await this.partitions.wait(topic, deadline));
          }
          message.partition = this.balance(message, partitions);
        }
        if (!this.tryProduce(message, write)) await this.produceWhenRoom(message, write);
      }
    } catch (err) {
      write.abandon(index, err as LibrdKafkaError);
    }
  }

  /** Hands one message to librdkafka; false when its queue is full. */
  private tryProduce(message: Message, write: PendingWrite): boolean {
    const headers: MessageHeader[] | undefined =
      message.headers.length === 0 ? undefined : message.headers.map((h) => ({ [h.key]: h.value }));
    // The write is found again from the delivery report, whose opaque is the message itself.
    message[IN_FLIGHT] = write;
    try {
      this.client.produce(message.topic, message.partition, message.value, message.key, message.timestamp, message, headers);
      return true;
    } catch (err) {
      if ((err as LibrdKafkaError).code === ErrorCodes.ERR__QUEUE_FULL) return false;
      throw err;
    }
  }

  /** A full queue is back-pressure, not an error: wait for room until writeTimeout. */
  private async produceWhenRoom(message: Message, write: PendingWrite): Promise<void> {
    const deadline = Date.now() + this.setup.config.writeTimeout;
    while (!this.tryProduce(message, write)) {
      if (Date.now() > deadline) {
        throw new KafkaError(`${this.key}: WriteMessages failed: the local queue stayed full for writeTimeout`, {
          operation: "WriteMessages",
          key: this.key,
          code: ErrorCodes.ERR__QUEUE_FULL,
          retriable: true,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private balance(message: Message, partitions: number[]): number {
    const partition = this.setup.balancer.balance(message, partitions);
    if (!partitions.includes(partition)) {
      throw new KafkaError(
        `${this.key}: the balancer chose partition ${partition} of topic ${message.topic}, which has partitions ${partitions.join(", ")}`,
        { operation: "WriteMessages", key: this.key, code: ErrorCodes.ERR__UNKNOWN_PARTITION },
      );
    }
    return partition;
  }

  private onDeliveryReport(err: LibrdKafkaError | null, report: DeliveryReport): void {
    const message = report.opaque as Message | undefined;
    const write = message?.[IN_FLIGHT] as PendingWrite | undefined;
    if (err) countDeliveryError(this.key, report.topic, err);
    if (message === undefined || write === undefined) return;
    message[IN_FLIGHT] = undefined;
    write.settle(message, err ?? null, report);
  }

  private writeError(write: PendingWrite): KafkaError {
    const first = write.failures[0]!;
    const where = `topic ${first.message.topic} partition ${first.message.partition}`;
    const error = toKafkaError(first.error, `WriteMessages (${where})`, this.key, this.failures.last);
    const summary =
      write.failures.length === write.messages.length
        ? `none of the ${write.messages.length} messages was delivered`
        : `${write.failures.length} of ${write.messages.length} messages were not delivered (the others were)`;
    return Object.assign(error, {
      message: `${error.message} (${summary})`,
      failed: write.failures.map((f) => f.message),
    });
  }

  private throwIfFailed(write: PendingWrite): void {
    if (write.failures.length > 0) throw this.writeError(write);
  }

  private reportAsyncFailures(write: PendingWrite): void {
    if (write.failures.length === 0) return;
    const error = this.writeError(write);
    this.setup.logger.error({ err: error, failed: write.failures.length }, "async write failed");
    try {
      this.asyncErrorHandler?.(
        error,
        write.failures.map((f) => f.message),
      );
    } catch (handlerError) {
      this.setup.logger.error({ err: handlerError }, "the async error handler threw");
    }
  }
}
