import type { Component, Consumer, ConsumerGroup, ReaderTree } from "../src/index.js";
import { ConfigError, createLogger, type Logger, type Server, type ServerStatus } from "../src/core/index.js";
import type { ConsumerServerConfig } from "./config.js";
import { DEAD_LETTER_TOPIC_SUFFIX } from "./dead-letter.js";
import { chain, type DeliveryHandler, type Middleware } from "./delivery.js";
import { Engine } from "./engine.js";
import { reporter, type ErrorHandler, type Reporter } from "./error-report.js";
import { recordingFailures } from "./failure-recording.js";
import {
  callBatchHandler,
  callHandler,
  intercepting,
  retrying,
  type BatchHandler,
  type InterceptedCall,
  type MessageHandler,
} from "./middleware.js";
import { movingOnFailure, type FailureDestinations } from "./move-on-failure.js";
import type { ServerOptions } from "./options.js";
import { OwnedLoopRunner, type LoopHandler } from "./owned-loop.js";
import { observedReader, ServerObservability } from "./observability.js";
import { DEFAULT_RETRY_POLICY, retryPolicy, type RetryPolicy } from "./retry.js";
import { createRetryTiers } from "./retry-tiers/create.js";
import type { RetryTiers } from "./retry-tiers/retry-tiers.js";
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

/** The Kafka instances a server uses, created by init(). */
interface Resources {
  group?: ConsumerGroup;
  /** The entry `onEachMessage` / `onEachBatch` read with. */
  reader?: { tree: ReaderTree; name: string };
  /** The server interceptors, as calls of the reader the handler's messages come from. */
  intercept?: InterceptedCall;
  consumer?: Consumer;
  deadLetter?: { producer: ReturnType<Component["producer"]>; topic: string | undefined; name: string };
  /** With `retryDelays`: the retry topics, their writing step and their reader. */
  tiers?: RetryTiers | undefined;
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
    const resources: Resources = {};
    let reader: { tree: ReaderTree; name: string } | undefined;
    if (mode.kind === "onStart") {
      resources.consumer = this.#lookUp("consumerName", mode.kind, "consumers", (name) => this.#component.consumer(name));
    } else if (mode.kind === "onConsumerGroupStart") {
      resources.group = this.#lookUp("consumerGroupName", mode.kind, "consumerGroups", (name) => this.#component.consumerGroup(name));
    } else {
      reader = this.#readerOf(mode.kind);
      resources.reader = reader;
      const { tree, name } = reader;
      resources.group = this.#named(tree === "consumers" ? "consumerName" : "consumerGroupName", name, (n) =>
        this.#component.consumerGroup(n, { from: tree }),
      );
      resources.intercept = this.#component.serverInterception(tree, name);
    }
    const deadLetter = this.deadLetterProducer;
    if ((mode.kind === "onEachMessage" || mode.kind === "onEachBatch") && deadLetter !== undefined) {
      const producer = this.#named("deadLetterProducer", deadLetter, (name) => this.#component.producer(name));
      resources.deadLetter = { producer, topic: this.#configuredTopic(deadLetter), name: deadLetter };
    }
    if (reader !== undefined) {
      resources.tiers = createRetryTiers({
        key: this.key,
        config: this.config,
        component: this.#component,
        reader,
        deadLetterName: resources.deadLetter?.name,
        deadLetterTopicOf: (topic) => this.#deadLetterTopicOf(resources, topic),
        logger: this.logger,
      });
    }
    this.#resources = resources;
    this.#observed.reading(this.#observedReaderOf(mode.kind, reader));
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
        deadLetterProducer: this.deadLetterProducer,
        ...(this.#mode!.kind === "onEachMessage" || this.#mode!.kind === "onEachBatch"
          ? { inPlaceRetries: this.#inPlacePolicy(this.#resources!).attempts }
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
    switch (mode.kind) {
      case "onStart":
        return new OwnedLoopRunner(
          resources.consumer!,
          mode.handler,
          mode.kind,
          this.logger,
          this.#observed.recording(reporter(undefined, this.logger)),
        );
      case "onConsumerGroupStart":
        return new OwnedLoopRunner(
          resources.group!,
          mode.handler,
          mode.kind,
          this.logger,
          this.#observed.recording(reporter(undefined, this.logger)),
        );
      case "onEachMessage":
      case "onEachBatch": {
        const report = this.#observed.recording(reporter(mode.onError, this.logger));
        const handler = mode.kind === "onEachMessage" ? callHandler(mode.handler) : callBatchHandler(mode.handler);
        const subscriptions: Subscription[] = [{ name: "topics", group: resources.group!, topics: this.#topicsOf(resources.reader!) }];
        if (resources.tiers !== undefined) subscriptions.push(resources.tiers.subscription());
        return new Engine({
          subscriptions,
          handle: this.#pipeline(handler, resources, report),
          ...(mode.kind === "onEachBatch" ? { batchSize: this.config.batchSize, batchWaitMs: this.config.batchWait } : {}),
          report,
          logger: this.logger,
          debug: this.config.debug,
          concurrent: this.partitionConcurrency,
          maxQueued: this.#options.maxQueued,
          maxQueuedPerPartition: this.#options.maxQueuedPerPartition,
        });
      }
    }
  }

  /**
   * The handling pipeline, the same for every subscription, outermost first: the process span and
   * handler metrics, the server interceptors and the user's middlewares, the failure step (retry tier
   * or dead letter, when the server has them), the in-place retry, the recording of each failed call, the handler.
   */
  #pipeline(handler: DeliveryHandler, resources: Resources, report: Reporter): DeliveryHandler {
    const middlewares: Middleware[] = [];
    if (resources.intercept !== undefined) middlewares.push(intercepting(resources.intercept));
    middlewares.push(...this.#options.middlewares);
    const destinations = this.#failureDestinations(resources);
    const inPlace = retrying(this.#inPlacePolicy(resources), report);
    if (destinations === undefined) middlewares.push(inPlace);
    else middlewares.push(movingOnFailure(destinations, report), inPlace, recordingFailures());
    return chain(handler, ...this.#observed.around(middlewares));
  }

  /**
   * How a recoverable failure is retried in place: `withRetry`'s fields, else the `inPlaceRetries` key,
   * else 3 retries without retry tiers (Go's behaviour) and none with them (a failure moves to tier 1 at once).
   */
  #inPlacePolicy(resources: Resources): RetryPolicy {
    const attempts = this.config.inPlaceRetries ?? (resources.tiers === undefined ? DEFAULT_RETRY_POLICY.attempts : 0);
    return retryPolicy({ attempts, ...this.#options.retry });
  }

  /** Where a delivery that failed for good goes: the retry tiers and the dead-letter topic, when the server has them. */
  #failureDestinations(resources: Resources): FailureDestinations | undefined {
    const tiers = resources.tiers;
    const deadLetter = resources.deadLetter;
    if (tiers === undefined && deadLetter === undefined) return undefined;
    // With tiers and no dead-letter producer, the retry producer writes the dead letters to <topic>.DLT.
    const writer = deadLetter?.producer ?? tiers!.retryWriter;
    return {
      ...(tiers === undefined ? {} : { tiers }),
      deadLetter: { writer, topicOf: (topic) => this.#deadLetterTopicOf(resources, topic) },
    };
  }

  /** `<topic>.DLT`, unless the dead-letter producer has a topic of its own (then undefined: the producer's topic applies). */
  #deadLetterTopicOf(resources: Resources, originalTopic: string): string | undefined {
    return resources.deadLetter?.topic === undefined ? `${originalTopic}${DEAD_LETTER_TOPIC_SUFFIX}` : undefined;
  }

  /** The topics the reader entry names (none for a topicRegex). */
  #topicsOf(reader: { tree: ReaderTree; name: string }): string[] {
    const entry = this.#component.config[reader.tree][reader.name];
    if (entry === undefined) return [];
    return entry.topics.length > 0 ? [...entry.topics] : entry.topic === undefined ? [] : [entry.topic];
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

  /**
   * Which reader `onEachMessage` / `onEachBatch` use. Go's rule: the consumer `consumerName`, with its
   * settings. Beyond Go: the consumer group `consumerGroupName` when it is the only name set. When both
   * are set, the server says once which one it reads with.
   * @throws ConfigError naming consumerName when neither is set
   */
  #readerOf(mode: string): { tree: ReaderTree; name: string } {
    const { consumerName, consumerGroupName } = this.config;
    if (consumerName !== undefined) {
      if (consumerGroupName !== undefined) {
        this.logger.info(
          { consumerName, consumerGroupName },
          `${mode} reads with consumerName ${consumerName} (kafka.consumers.${consumerName}) and its settings, as in Go; consumerGroupName ${consumerGroupName} is for onConsumerGroupStart`,
        );
      }
      return { tree: "consumers", name: consumerName };
    }
    if (consumerGroupName !== undefined) return { tree: "consumerGroups", name: consumerGroupName };
    throw ConfigError.atKey(
      `${this.key}.consumerName`,
      `required for ${mode}: the name of a kafka.consumers entry (or set consumerGroupName to read with a kafka.consumerGroups entry)`,
    );
  }

  #lookUp<T>(field: "consumerName" | "consumerGroupName", mode: string, section: string, get: (name: string) => T): T {
    const name = this.config[field];
    if (name === undefined) {
      throw ConfigError.atKey(`${this.key}.${field}`, `required for ${mode}: the name of a kafka.${section} entry`);
    }
    return this.#named(field, name, get);
  }

  /** Gets a named instance from the component; its unknown-name error is re-thrown naming our key. */
  #named<T>(field: string, name: string, get: (name: string) => T): T {
    try {
      return get(name);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`${this.key}.${field}: ${reason}`, { key: `${this.key}.${field}`, cause: error });
    }
  }

  /** The topic configured for the producer `name`, if any (names matched as the component does, ignoring case as a fallback). */
  #configuredTopic(name: string): string | undefined {
    const producers = this.#component.config.producers;
    const entry = producers[name] ?? Object.entries(producers).find(([candidate]) => candidate.toLowerCase() === name.toLowerCase())?.[1];
    return entry?.topic;
  }
}
