import { KafkaError, RevokedPartitions, type Component, type ConsumerGroup, type Producer } from "../src/index.js";
import { ConfigError } from "../src/core/index.js";
import type { ConsumerServerConfig } from "./config.js";
import { decide, type Delivery, type DeliveryHandler, type Middleware } from "./delivery.js";
import type { ModeKind } from "./server-resources.js";
import type { PollingGroup } from "./subscription.js";

// Exactly-once handling (`transactionalProducer`): deliveries are handled inside a transaction of that
// producer. The handler writes through ctx.producer (the same producer, so its writes join the
// transaction); the deliveries' offsets go into the transaction through the consumer group's offset
// ledger, and the transaction commits: the writes and the progress are kept together or not at all.
// A transaction spans fetch rounds until it has been open `transactionInterval` (Kafka Streams' commit
// interval under exactly-once): a commit costs several round trips whatever the transaction holds, so
// committing per round would bound throughput by the commit's latency. It is also committed before a
// revocation is handed to the engine (the partitions' offsets must be in before they go) and on close.
// A handler call that throws aborts the transaction, and the retry (or the dead-letter write) runs in a
// fresh one. This file alone decides when a transaction — and so its offsets — commits.

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
  /**
   * Before the first poll: initializes the producer's transactions, which fences an earlier instance
   * with the same transactionalID and has its open transaction aborted (see committingBeforePolls).
   */
  prepare(): Promise<void>;
  /** Milliseconds until the open transaction is due for its commit (0 or less: due); undefined when none is open. */
  dueIn(): number | undefined;
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
 * Runs the deliveries of `group` in transactions of `producer`: a transaction holds the deliveries
 * handled while it is open, and is committed with their offsets once it has been open `intervalMs`.
 */
export function serverTransactions(producer: Producer, group: ConsumerGroup, intervalMs: number): ServerTransactions {
  group.useTransactions();
  return new RoundTransactions(producer, group, intervalMs);
}

/**
 * The open transaction and the deliveries it holds. Its deliveries' writes are all aborted when one handler call fails,
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

  dueIn(): number | undefined {
    return this.#transactions.isOpen ? this.#openedAt + this.intervalMs - Date.now() : undefined;
  }

  prepare(): Promise<void> {
    return this.#transactions.init();
  }

  /** Commits the open transaction with the offsets of its deliveries (when due, before a revocation is handed on, or on close). */
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
    if (this.dueIn()! <= 0) {
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
 * The consumer group as the engine polls it, when its deliveries run in transactions. Its first poll
 * waits for the producer's transactions to be initialized. A transaction
 * that falls due while a poll waits is committed during the wait (the engine handles nothing while it
 * polls); the poll itself is never cut short, so an idle moment is not a timed-out call. An event that
 * arrives during the commit is returned once the commit is done. A revocation is returned only after the
 * transaction holding its partitions' deliveries is committed (their offsets go with it, before the
 * partitions are released); close commits what is open. A commit that fails is returned as a fatal poll
 * error: the server stops, and what the transaction held is read again by the partitions' next owner.
 */
export function committingBeforePolls(group: PollingGroup, transactions: ServerTransactions): PollingGroup {
  let prepared: Promise<void> | undefined;
  return {
    pollBatch: async (options) => {
      // A member restarted after a crash fences its earlier instance before it reads: a transaction that
      // instance left open with offsets in it (killed between sending them and committing) is aborted at
      // once, where the group, which hands out no committed offsets while a transaction may still change
      // them (KIP-447), would otherwise wait for its transactionTimeout. A failed initialization is met
      // again by the first transaction's begin, which reports it.
      prepared ??= transactions.prepare().catch(() => undefined);
      await prepared;
      if ((transactions.dueIn() ?? Infinity) <= 0) {
        const failed = await commitOrFatal(transactions);
        if (failed !== undefined) return failed;
      }
      const polled = group.pollBatch(options);
      const dueIn = transactions.dueIn();
      if (dueIn !== undefined && (await settledWithin(polled, dueIn)) === "due") {
        const failed = await commitOrFatal(transactions);
        if (failed !== undefined) {
          polled.catch(() => undefined); // left pending: the engine stops (its polling signal aborts it)
          return failed;
        }
      }
      const event = await polled;
      if (event instanceof RevokedPartitions) return (await commitOrFatal(transactions)) ?? event;
      return event;
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

/** "settled" once `pending` settles within `ms` (rejections included: the caller awaits it again), else "due". */
async function settledWithin(pending: Promise<unknown>, ms: number): Promise<"settled" | "due"> {
  let timer: NodeJS.Timeout | undefined;
  const due = new Promise<"due">((resolve) => (timer = setTimeout(resolve, Math.max(0, ms), "due")));
  const settled = pending.then(
    () => "settled" as const,
    () => "settled" as const,
  );
  try {
    return await Promise.race([settled, due]);
  } finally {
    clearTimeout(timer);
  }
}

/** Commits the open transaction; a failure comes back as the fatal error the engine stops on. */
async function commitOrFatal(transactions: ServerTransactions): Promise<KafkaError | undefined> {
  try {
    await transactions.commit();
    return undefined;
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
}

function findEntry<T>(entries: Record<string, T>, name: string): T | undefined {
  return entries[name] ?? Object.entries(entries).find(([candidate]) => candidate.toLowerCase() === name.toLowerCase())?.[1];
}
