import type { Component, Consumer, ConsumerGroup, ReaderTree } from "../src/index.js";
import { ConfigError, createLogger, type Logger, type Server, type ServerStatus } from "../src/core/index.js";
import type { ConsumerServerConfig } from "./config.js";
import { Engine } from "./engine.js";
import { reporter, type ErrorHandler } from "./error-report.js";
import { callBatchHandler, callHandler, type BatchHandler, type MessageHandler } from "./middleware.js";
import type { ServerOptions } from "./options.js";
import { OwnedLoopRunner, type LoopHandler } from "./owned-loop.js";
import { observedReader, ServerObservability } from "./observability.js";
import { inPlacePolicy, pipelineOf } from "./pipeline.js";
import { serverResources, topicsOf, type Resources } from "./server-resources.js";
import { committingBeforePolls, serverTransactions, transactionalProducerOf } from "./transactions.js";
import type { Subscription } from "./subscription.js";

/** The `comp` field of the server's log lines. */
export const COMPONENT_NAME = "ekafka.consumerserver";

type Mode =
  | { kind: "onEachMessage"; handler: MessageHandler; onError: ErrorHandler | undefined }
  | { kind: "onEachBatch"; handler: BatchHandler; onError: ErrorHandler | undefined }
  | { kind: "onStart"; handler: LoopHandler<Consumer> }
  | { kind: "onConsumerGroupStart"; handler: LoopHandler<ConsumerGroup> };

/** A running mode: polls (or runs the user's loop) until stopped. */
interface Runner {
  run(): Promise<void>;
  stop(graceful: boolean): void;
}

/**
 * A Consumer Server: consumes with a ConsumerGroup (or a Consumer) of an ekafka component for as long as
 * the {@link "ekafka/core"!App | App} runs, as Go ekafka's `consumerserver.Component` does. Build one with
 * `load(key).build(withEkafka(component))`, register exactly one handler, and `app.serve(server)`.
 *
 * Modes:
 * - {@link onEachMessage}: the server polls and calls the handler for each message, one at a time (or
 *   one per partition at a time, with partition concurrency); a message's offset is committed only
 *   after its handler succeeded. Recoverable errors are retried; any other failure stops the server
 *   (unless a dead-letter producer is configured) and `start()` rejects with it.
 * - {@link onEachBatch}: the same, with the messages of one partition handed over in batches.
 * - {@link onStart} / {@link onConsumerGroupStart}: the handler consumes by itself; the server stops
 *   when it returns.
 *
 * Stopping: {@link gracefulStop} stops fetching, lets the handlers in flight finish, commits, leaves the
 * group and closes. {@link stop} aborts the handlers' `ctx.signal` and does not wait for them: what
 * they were handling is not committed (and is read again), then commits what was handled before, leaves
 * the group and closes. Either way `start()` then resolves. The ekafka component itself is left open:
 * it may be shared; close it after the App has finished.
 */
export class ConsumerServer implements Server {
  /** The config key, e.g. `kafkaConsumerServers.s1`; also the name the App logs. */
  readonly name: string;
  /** The config key of the server's tree. */
  readonly key: string;
  /** The decoded `[kafkaConsumerServers.<name>]` tree. */
  readonly config: ConsumerServerConfig;
  /** The server's logger (`comp` ekafka.consumerserver, `key` the config key). */
  readonly logger: Logger;
  readonly #component: Component;
  readonly #options: ServerOptions;
  #mode: Mode | undefined;
  #resources: Resources | undefined;
  #runner: Runner | undefined;
  #done: Promise<void> | undefined;
  #stopRequest: "graceful" | "hard" | undefined;
  #closedUnstarted: Promise<void> | undefined;
  readonly #observed: ServerObservability;

  /** Use `load(key).build(...)`. */
  constructor(key: string, config: ConsumerServerConfig, options: ServerOptions) {
    if (options.ekafka === undefined) {
      throw new Error(
        `consumerserver.load("${key}").build(): withEkafka(component) is required: the server consumes through an ekafka component`,
      );
    }
    this.name = key;
    this.key = key;
    this.config = config;
    this.#component = options.ekafka;
    this.#options = options;
    this.logger = createLogger(COMPONENT_NAME, key, options.logger === undefined ? {} : { parent: options.logger });
    this.#observed = new ServerObservability(key, () => this.#mode?.kind);
  }

  /** Health for the governor: mode, phase, readiness (joined, brokers reachable), assignment, lag, in-flight, last error. */
  status(): ServerStatus {
    return this.#observed.status();
  }

  /** The dead-letter producer's name (option or config), if any. */
  get deadLetterProducer(): string | undefined {
    return this.#options.deadLetterProducer ?? this.config.deadLetterProducer;
  }

  /** Whether partitions are handled in parallel (option or config). */
  get partitionConcurrency(): boolean {
    return this.#options.partitionConcurrency ?? this.config.partitionConcurrency;
  }

  /**
   * Handle each message with `handler`; its offset is committed once the handler resolves.
   * Throw a {@link RecoverableError} (or an error with one in its `cause` chain) to have the message
   * retried. Reads with the consumer `consumerName` (as in Go), or, when only `consumerGroupName` is set,
   * with that consumer group.
   *
   * @param onError receives every error: handler failures (each try), fetch, commit and dead-letter errors
   */
  onEachMessage(handler: MessageHandler, onError?: ErrorHandler): this {
    return this.#register({ kind: "onEachMessage", handler, onError });
  }

  /**
   * Handle the messages in batches: each call gets up to `batchSize` messages of one partition, in offset
   * order (what was fetched, or what came within `batchWait`). Mark progress with `batch.resolve(message)`:
   * what is resolved is committed even if the handler fails later. When the handler throws, the messages
   * not resolved are retried as a batch (recoverable errors, as for `onEachMessage`), then dead-lettered
   * (each one, when a dead-letter producer is configured) or the server stops without committing them.
   * With retry tiers (`retryDelays`), a batch that fails with a recoverable error after those tries
   * moves its messages not resolved (all of them when the handler resolved none; resolve each message
   * once handled so that only the failed one and those after it move) to the first tier, one record
   * each, and the partition goes on with its next batch; records due in a retry topic come back as
   * batches of one. Reads like {@link onEachMessage}.
   *
   * @param onError receives every error: handler failures (each try), fetch, commit and dead-letter errors
   */
  onEachBatch(handler: BatchHandler, onError?: ErrorHandler): this {
    return this.#register({ kind: "onEachBatch", handler, onError });
  }

  /**
   * Run `handler` with the consumer `consumerName`; it consumes by itself until `ctx.signal` aborts,
   * and the server stops when it returns.
   */
  onStart(handler: LoopHandler<Consumer>): this {
    return this.#register({ kind: "onStart", handler });
  }

  /**
   * Run `handler` with the consumer group `consumerGroupName`; it polls by itself until `ctx.signal`
   * aborts, and the server stops when it returns.
   */
  onConsumerGroupStart(handler: LoopHandler<ConsumerGroup>): this {
    return this.#register({ kind: "onConsumerGroupStart", handler });
  }

  /**
   * Checks that a handler is registered and the names it needs are configured, and gets the consumer
   * group (or consumer) and dead-letter producer from the component. The App calls it before starting
   * any server; `start()` calls it when it was not.
   * @throws ConfigError naming the key when a name is missing or not configured
   */
  init(): void {
    if (this.#resources !== undefined) return;
    const mode = this.#mode;
    if (mode === undefined) {
      throw new Error(
        `${this.key}: no handler registered; call onEachMessage, onEachBatch, onStart or onConsumerGroupStart before starting`,
      );
    }
    if (mode.kind === "onEachBatch" && this.config.ordering !== "partition") {
      throw ConfigError.atKey(
        `${this.key}.ordering`,
        `onEachBatch hands over runs of one partition: it takes ordering = "partition" only, found ${JSON.stringify(this.config.ordering)} (use onEachMessage for "key" or "unordered")`,
      );
    }
    const resources = serverResources(mode.kind, {
      key: this.key,
      config: this.config,
      component: this.#component,
      deadLetterProducer: this.deadLetterProducer,
      logger: this.logger,
    });
    const producer = transactionalProducerOf({
      key: this.key,
      config: this.config,
      component: this.#component,
      mode: mode.kind,
      reader: resources.reader!,
      partitionConcurrency: this.partitionConcurrency,
    });
    if (producer !== undefined) resources.transactions = serverTransactions(producer, resources.group!, this.config.transactionInterval);
    this.#resources = resources;
    this.#observed.reading(this.#observedReaderOf(mode.kind, resources.reader));
  }

  /** The reader whose statistics and group the governor shows: the one the mode reads with. */
  #observedReaderOf(kind: Mode["kind"], reader: { tree: ReaderTree; name: string } | undefined) {
    if (kind === "onStart") return observedReader(this.#component, "consumers", this.config.consumerName!);
    if (kind === "onConsumerGroupStart") return observedReader(this.#component, "consumerGroups", this.config.consumerGroupName!);
    return observedReader(this.#component, reader!.tree, reader!.name);
  }

  /**
   * Runs the server.
   * @returns a promise that resolves once the server has stopped (after a stop, or when an `onStart` /
   *   `onConsumerGroupStart` handler returned)
   * @throws the error that stopped it: a handler error (after retries), a fatal fetch error, a
   *   dead-letter write error; or an init error
   */
  start(): Promise<void> {
    if (this.#done !== undefined) return Promise.reject(new Error(`${this.key}: start() was already called; a server runs once`));
    this.#done = this.#run();
    return this.#done;
  }

  /** Stops fetching, lets the handlers in flight finish, commits, leaves the group; resolves once stopped. */
  async gracefulStop(): Promise<void> {
    await this.#requestStop("graceful");
  }

  /**
   * Stops now: aborts the handlers' `ctx.signal` without waiting for them (their messages stay
   * uncommitted), commits what was handled, leaves the group; resolves once stopped.
   */
  async stop(): Promise<void> {
    await this.#requestStop("hard");
  }

  #register(mode: Mode): this {
    if (this.#mode !== undefined) {
      throw new Error(`${this.key}: an ${this.#mode.kind} handler is already registered; a server has exactly one handler`);
    }
    if (this.#done !== undefined) throw new Error(`${this.key}: register the handler before start()`);
    this.#mode = mode;
    return this;
  }

  async #run(): Promise<void> {
    if (this.#stopRequest !== undefined) {
      await this.#closeUnstarted();
      return;
    }
    this.init();
    await this.#prepareRetryTiers();
    if (this.#stopRequest !== undefined) {
      await this.#closeUnstarted(); // stopped while the retry topics were being prepared
      return;
    }
    const runner = this.#createRunner(this.#mode!, this.#resources!);
    this.#runner = runner;
    this.logger.info(
      {
        mode: this.#mode!.kind,
        consumerGroupName: this.config.consumerGroupName,
        consumerName: this.config.consumerName,
        partitionConcurrency: this.partitionConcurrency,
        ordering: this.config.ordering,
        concurrency: this.config.concurrency,
        deadLetterProducer: this.deadLetterProducer,
        ...(this.#mode!.kind === "onEachMessage" || this.#mode!.kind === "onEachBatch"
          ? { inPlaceRetries: inPlacePolicy({ resources: this.#resources!, config: this.config, retry: this.#options.retry }).attempts }
          : {}),
        ...(this.#resources!.tiers === undefined
          ? {}
          : { retryDelays: this.config.retryDelays, retryGroupID: this.#resources!.tiers.groupID }),
        ...(this.#mode!.kind === "onEachBatch" ? { batchSize: this.config.batchSize, batchWait: this.config.batchWait } : {}),
      },
      "consumer server started",
    );
    this.#observed.phase = "running";
    try {
      await runner.run();
    } catch (error) {
      this.#observed.phase = "failed";
      this.logger.error({ err: error }, "consumer server failed");
      throw error;
    }
    this.#observed.phase = "stopped";
    this.logger.info("consumer server stopped");
  }

  #createRunner(mode: Mode, resources: Resources): Runner {
    if (mode.kind === "onStart" || mode.kind === "onConsumerGroupStart") {
      const source = mode.kind === "onStart" ? resources.consumer! : resources.group!;
      const report = this.#observed.recording(reporter(undefined, this.logger));
      return new OwnedLoopRunner<Consumer | ConsumerGroup>(
        source,
        mode.handler as LoopHandler<Consumer | ConsumerGroup>,
        mode.kind,
        this.logger,
        report,
      );
    }
    const report = this.#observed.recording(reporter(mode.onError, this.logger));
    const handler = mode.kind === "onEachMessage" ? callHandler(mode.handler) : callBatchHandler(mode.handler);
    const subscriptions: Subscription[] = [
      {
        name: "topics",
        group: resources.transactions === undefined ? resources.group! : committingBeforePolls(resources.group!, resources.transactions),
        topics: topicsOf(this.#component, resources.reader!),
      },
    ];
    if (resources.tiers !== undefined) subscriptions.push(resources.tiers.subscription());
    const handle = pipelineOf({
      handler,
      resources,
      config: this.config,
      middlewares: this.#options.middlewares,
      retry: this.#options.retry,
      report,
      observed: (middlewares) => this.#observed.around(middlewares),
    });
    const engine = new Engine({
      subscriptions,
      handle,
      ...(mode.kind === "onEachBatch" ? { batchSize: this.config.batchSize, batchWaitMs: this.config.batchWait } : {}),
      report,
      logger: this.logger,
      debug: this.config.debug,
      ordering: this.config.ordering,
      concurrency: this.config.concurrency,
      partitionConcurrency: this.partitionConcurrency,
      maxQueued: this.#options.maxQueued ?? this.config.maxQueued,
      maxQueuedPerPartition: this.#options.maxQueuedPerPartition ?? this.config.maxQueuedPerPartition,
    });
    this.#observed.countWaiting(() => engine.waiting);
    return engine;
  }

  /** Retry topics must exist before anything is moved there; a failure leaves nothing open. */
  async #prepareRetryTiers(): Promise<void> {
    try {
      await this.#resources!.tiers?.prepare();
    } catch (error) {
      await this.#closeUnstarted();
      throw error;
    }
  }

  async #requestStop(kind: "graceful" | "hard"): Promise<void> {
    if (this.#stopRequest !== "hard") this.#stopRequest = kind;
    this.#observed.phase = "stopping";
    this.#runner?.stop(kind === "graceful");
    if (this.#done === undefined) {
      await this.#closeUnstarted();
      return;
    }
    await this.#done.catch(() => undefined); // the failure is start()'s to report
  }

  // init() may have created a consumer group that start() will now never use: leave, don't linger.
  #closeUnstarted(): Promise<void> {
    this.#closedUnstarted ??= (async () => {
      const resources = this.#resources;
      if (resources === undefined) return;
      for (const closable of [resources.group, resources.consumer]) {
        try {
          await closable?.close();
        } catch (error) {
          this.logger.error({ err: error }, "closing an unstarted server's consumer failed");
        }
      }
    })();
    return this.#closedUnstarted;
  }
}
