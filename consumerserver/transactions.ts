import { KafkaError, type Component, type ConsumerGroup, type Producer } from "../src/index.js";
import { ConfigError } from "../src/core/index.js";
import type { ConsumerServerConfig } from "./config.js";
import { decide, type Delivery, type DeliveryHandler, type Middleware } from "./delivery.js";
import type { ModeKind } from "./server-resources.js";
import type { PollingGroup } from "./subscription.js";

// Exactly-once handling (`transactionalProducer`): deliveries are handled inside a transaction of that
// producer. The handler writes through ctx.producer (the same producer, so its writes join the
// transaction); the deliveries' offsets go into the transaction through the consumer group's offset
// ledger, and the transaction commits: the writes and the progress are kept together or not at all.
// One transaction per fetch round (committed before the next poll), or per `transactionInterval` when a
// round takes longer. A handler call that throws aborts the transaction, and the retry (or the
// dead-letter write) runs in a fresh one.

/** What a server with `transactionalProducer` handles its deliveries with. */
export interface ServerTransactions {
  /** The producer named by `transactionalProducer`; `ctx.producer` in handlers. */
  readonly producer: Producer;
  /** Around the whole handling: opens the transaction, and commits it with the delivery's offsets. */
  readonly around: Middleware;
  /** Around each handler call: a failed call's writes are aborted before the next attempt. */
  readonly eachCall: Middleware;
  /** Commits the open transaction, if any, with its deliveries' offsets. */
  commit(): Promise<void>;
  /** On close: commits the open transaction, or aborts it when a handler is still running (a hard stop). */
  end(): Promise<void>;
}

/** What the checks of `transactionalProducer` look at. */
export interface TransactionSetup {
  key: string;
  config: ConsumerServerConfig;
  component: Component;
  mode: ModeKind;
  /** The reader entry the handler's messages come from. */
  reader: { tree: "consumers" | "consumerGroups"; name: string };
  partitionConcurrency: boolean;
}

/**
 * The producer named by `transactionalProducer`, after checking that the server can run exactly-once
 * as configured; undefined when the key is not set.
 * @throws ConfigError naming the key of a combination exactly-once does not support
 */
export function transactionalProducerOf(setup: TransactionSetup): Producer | undefined {
  const { key, config, component } = setup;
  const name = config.transactionalProducer;
  if (name === undefined) return undefined;
  const at = (field: string) => `${key}.${field}`;
  const refuse = (field: string, why: string): never => {
    throw ConfigError.atKey(at(field), `${why} (with transactionalProducer = ${JSON.stringify(name)})`);
  };
  if (setup.mode !== "onEachMessage") refuse("transactionalProducer", `is for onEachMessage, not ${setup.mode}`);
  if (config.ordering !== "partition") refuse("ordering", `must be "partition", found ${JSON.stringify(config.ordering)}`);
  if (config.concurrency !== 1) refuse("concurrency", `must be 1, found ${config.concurrency}: one transaction is open at a time`);
  if (setup.partitionConcurrency) refuse("partitionConcurrency", "must be false: one transaction is open at a time");
  if (config.retryDelays.length > 0)
    refuse("retryDelays", "retry tiers are not supported: their records would be read outside the transaction");
  const entry = findEntry(component.config.producers, name);
  if (entry === undefined) {
    const known = Object.keys(component.config.producers);
    refuse("transactionalProducer", `names no kafka.producers entry; configured: ${known.length === 0 ? "none" : known.join(", ")}`);
  }
  if (entry!.transactionalID === undefined) {
    refuse("transactionalProducer", `kafka.producers.${name} has no transactionalID: set one to make it transactional`);
  }
  const reader = findEntry(component.config[setup.reader.tree], setup.reader.name);
  if (reader?.isolationLevel === "read_uncommitted") {
    throw ConfigError.atKey(
      `kafka.${setup.reader.tree}.${setup.reader.name}.isolationLevel`,
      `must be "read_committed" for ${key}'s transactionalProducer: read_uncommitted would hand aborted input to the handler`,
    );
  }
  return component.producer(name);
}

/**
 * Runs the deliveries of `group` in transactions of `producer`: one transaction holds the deliveries
 * of one fetch round, committed with their offsets before the next poll, or earlier once it has been
 * open `intervalMs`.
 */
export function serverTransactions(producer: Producer, group: ConsumerGroup, intervalMs: number): ServerTransactions {
  group.useTransactions();
  return new RoundTransactions(producer, group, intervalMs);
}

/**
 * The transaction of a fetch round. Its deliveries' writes are all aborted when one handler call fails,
 * so the deliveries handled before in the same transaction are handled again (their handlers called
 * again, in order) in the fresh transaction the failed one is retried in: what a read_committed reader
 * sees stays exactly once, at the cost of calling those handlers twice.
 */
class RoundTransactions implements ServerTransactions {
  readonly around: Middleware;
  readonly eachCall: Middleware;
  readonly #transactions: ReturnType<Producer["transactional"]>;
  /** The deliveries handled in the open transaction, in order. */
  #handled: Delivery[] = [];
  #openedAt = 0;
  /** A delivery is being handled (a close now abandons it: the transaction is aborted, not committed). */
  #running = false;

  constructor(
    readonly producer: Producer,
    private readonly group: ConsumerGroup,
    private readonly intervalMs: number,
  ) {
    this.#transactions = producer.transactional("transactionalProducer");
    this.around = (next) => (delivery) => this.#handle(next, delivery);
    this.eachCall = (next) => (delivery) => this.#call(next, delivery);
  }

  /** Commits the open transaction with the offsets of its deliveries (before a poll, a revocation is seen, or on close). */
  async commit(): Promise<void> {
    if (!this.#transactions.isOpen) return;
    const messages = this.#handled.flatMap((d) => d.messages);
    this.#handled = [];
    await this.#transactions.sendOffsets(this.group, messages);
    await this.#transactions.commit();
  }

  /** Ends the open transaction on close: committed when no handler is running, else aborted (a hard stop abandoned it). */
  async end(): Promise<void> {
    if (this.#running) {
      this.#handled = [];
      await this.#transactions.abort();
    } else await this.commit();
  }

  async #handle(next: DeliveryHandler, delivery: Delivery): Promise<void> {
    if (!this.#transactions.isOpen) {
      await this.#transactions.begin();
      this.#openedAt = Date.now();
    }
    (delivery as Delivery & { producer?: Producer }).producer = this.producer;
    this.#running = true;
    try {
      await next(delivery);
    } catch (error) {
      // Failed for good: the server stops; nothing of the open transaction is kept, all of it is read again.
      this.#handled = [];
      await this.#transactions.abort().catch(() => undefined);
      throw error;
    } finally {
      this.#running = false;
    }
    this.#handled.push(delivery);
    if (Date.now() - this.#openedAt >= this.intervalMs) {
      try {
        await this.commit();
      } catch (error) {
        decide(delivery, "failed");
        throw error;
      }
    }
  }

  async #call(next: DeliveryHandler, delivery: Delivery): Promise<void> {
    try {
      await next(delivery);
    } catch (error) {
      await this.#transactions.abort();
      await this.#transactions.begin();
      this.#openedAt = Date.now();
      // The deliveries handled before in the aborted transaction: their writes are gone, write them again.
      for (const earlier of this.#handled) await next(earlier);
      throw error;
    }
  }
}

/**
 * The consumer group as the engine polls it, when its deliveries run in transactions: the open
 * transaction is committed before each poll (so before a revocation is seen and released) and on close.
 * A commit that fails is returned as a fatal poll error: the server stops, and what the transaction held
 * is read again by the partitions' next owner.
 */
export function committingBeforePolls(group: PollingGroup, transactions: ServerTransactions): PollingGroup {
  return {
    pollBatch: async (options) => {
      try {
        await transactions.commit();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return new KafkaError(`${reason} (the transaction is not committed; the server stops)`, {
          operation: "CommitTransaction",
          key: error instanceof KafkaError ? error.key : "",
          code: error instanceof KafkaError ? error.code : 0,
          fatal: true,
          cause: error,
        });
      }
      return group.pollBatch(options);
    },
    storeOffsets: (...messages) => group.storeOffsets(...messages),
    pause: (partitions) => group.pause(partitions),
    resume: (partitions) => group.resume(partitions),
    close: async () => {
      await transactions.end();
      await group.close();
    },
  };
}

function findEntry<T>(entries: Record<string, T>, name: string): T | undefined {
  return entries[name] ?? Object.entries(entries).find(([candidate]) => candidate.toLowerCase() === name.toLowerCase())?.[1];
}
