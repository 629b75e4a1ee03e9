import type { Logger } from "pino";
import { batchWindow, resolveBalancer } from "./balancer.js";
import { Intercepted, type CallSite } from "./call.js";
import { Client } from "./client.js";
import { subscriptionOf, type KafkaConfig, type ReaderConfig } from "./config.js";
import { ConsumerGroup } from "./consumer-group.js";
import { Consumer } from "./consumer.js";
import { ClosedError } from "./errors.js";
import { registerDebugConfig } from "./core/governor/debug-config.js";
import { componentDebugConfig } from "./debug-config.js";
import { defaultInterceptors, type Interceptor } from "./interceptors.js";
import type { Message } from "./message.js";
import { adminProperties, consumerProperties, producerProperties, type LibrdkafkaProperties } from "./librdkafka-properties.js";
import type { BuildOptions } from "./options.js";
import { Producer } from "./producer.js";
import { propertyOrigins } from "./refused-config.js";
import { MessageDecoder } from "./schema-registry/decoder.js";
import { ProducerSerde } from "./schema-registry/producer-serde.js";
import { SchemaRegistry } from "./schema-registry/registry.js";
import { ConsumerSession } from "./session.js";
import type { SessionSource } from "./session-setup.js";

/** The trees a reader entry can be in: `kafka.consumers` or `kafka.consumerGroups`. */
export type ReaderTree = "consumers" | "consumerGroups";

/** A closable instance the component hands out. */
interface Closable {
  close(): Promise<void> | void;
}

/**
 * The built `[kafka]` component: named producers, consumers and consumer groups, created on first use
 * and reused after, and an admin client. `close()` closes everything it created.
 */
export class Component {
  /** The decoded `[kafka]` tree (with the build options applied). Holds secrets: log `redactConfig(config)`. */
  readonly config: KafkaConfig;
  /** The config key the component was loaded from, e.g. "kafka". */
  readonly key: string;
  /** The component's logger (`withLogger`, else the core logger's child for "ekafka" at this key); its producers log through children of it. */
  readonly logger: Logger;
  private readonly producers = new Map<string, Producer>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly derivedGroups: ConsumerGroup[] = [];
  /** ConsumerGroup faces over `consumers` entries (see consumerGroup's `from`). */
  private readonly consumerGroupFaces = new Map<string, ConsumerGroup>();
  private admin: Client | undefined;
  /** The schema registry client shared by every producer and reader with a format; made on first use. */
  private registry: SchemaRegistry | undefined;
  private readonly clientInterceptors: Interceptor[];
  private readonly serverInterceptors: Interceptor[];
  private closed = false;
  /** Takes the component off the governor's /debug/config. */
  private readonly unregisterDebugConfig: () => void;

  constructor(
    key: string,
    config: KafkaConfig,
    private readonly options: BuildOptions,
    logger: Logger,
  ) {
    this.key = key;
    this.config = config;
    this.logger = logger;
    const builtIn = defaultInterceptors({
      debug: config.debug,
      accessLog: config.enableAccessInterceptor
        ? { logger, request: config.enableAccessInterceptorReq, response: config.enableAccessInterceptorRes }
        : false,
      metrics: config.enableMetricInterceptor,
      trace: config.enableTraceInterceptor,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    });
    this.clientInterceptors = [...builtIn, ...options.clientInterceptors];
    this.serverInterceptors = [...builtIn, ...options.serverInterceptors];
    this.unregisterDebugConfig = registerDebugConfig(key, () => componentDebugConfig(this));
  }

  /** The producer `kafka.producers.<name>`. */
  producer(name: string): Producer {
    return this.instance(this.producers, "producers", name, (key, cfg) => {
      const producerConfig = cfg.producers[name]!;
      const properties = this.producerPropertiesOf(name);
      return new Producer({
        name,
        key,
        config: producerConfig,
        properties,
        brokers: cfg.brokers,
        balancer: resolveBalancer(producerConfig.balancer, this.options.balancers, `${key}.balancer`, batchWindow(properties)),
        interceptors: this.clientInterceptors,
        logger: this.logger.child({ producer: name }),
        requestTimeoutMs: cfg.client.timeout,
        origins: propertyOrigins({
          componentKey: this.key,
          instanceKey: key,
          tree: "producers",
          componentRaw: cfg.properties,
          instanceRaw: producerConfig.properties,
        }),
        ...optional("serde", ProducerSerde.of(this.schemaRegistry(producerConfig), producerConfig, key)),
      });
    });
  }

  /** The consumer `kafka.consumers.<name>`. */
  consumer(name: string): Consumer {
    return this.instance(this.consumers, "consumers", name, (key, cfg) => {
      const readerConfig = cfg.consumers[name]!;
      const source = readerSource(readerConfig);
      const session = this.session(key, "consumers", readerConfig, source, this.consumerPropertiesOf("consumers", name), false);
      return new Consumer(
        session,
        source,
        this.site(key, name, "consumer", readerConfig),
        this.serverInterceptors,
        this.decoder(key, readerConfig),
      );
    });
  }

  /**
   * A new consumer group member that reads like the entry `kafka.<from>.<name>` (same brokers, security,
   * timings and properties) but in another group, on other topics: e.g. a Consumer Server's reader of
   * its retry topics. Built the same way as {@link consumerGroup} builds its members (one path for
   * both); each call creates a new member, and `close()` closes them all.
   *
   * @param overrides.from the tree the entry is in: `"consumerGroups"` (default) or `"consumers"`
   * @param overrides.groupID the group it joins
   * @param overrides.topics the topics it subscribes to
   * @param overrides.startOffset where it starts without a committed offset (-2 oldest, -1 newest); default: the entry's
   * @throws Error listing the configured names when `name` is unknown
   */
  derivedConsumerGroup(
    name: string,
    overrides: { from?: ReaderTree; groupID: string; topics: readonly string[]; startOffset?: number },
  ): ConsumerGroup {
    const tree = overrides.from ?? "consumerGroups";
    if (this.closed) throw new ClosedError(`component ${this.key}`, tree);
    if (!Object.hasOwn(this.config[tree], name)) throw unknownName(this.key, tree, name, Object.keys(this.config[tree]));
    if (overrides.topics.length === 0) throw new Error(`${this.key}.${tree}.${name}: derivedConsumerGroup needs at least one topic`);
    const group = this.groupMember(tree, name, overrides);
    this.derivedGroups.push(group);
    return group;
  }

  /**
   * The consumer group member `kafka.consumerGroups.<name>`.
   *
   * With `{ from: "consumers" }`: a ConsumerGroup (the event API) reading with the settings of
   * `kafka.consumers.<name>` — its groupID, topic, commitInterval, startOffset … — and through the
   * server interceptors, as that consumer does. The Consumer Server reads this way for `onEachMessage`
   * with `consumerName`, as Go ekafka's reads with the Consumer. A separate member from
   * `consumer(name)`.
   * @throws Error when the name is not configured, or (`from: "consumers"`) the consumer has no groupID
   */
  consumerGroup(name: string, options: { from?: ReaderTree } = {}): ConsumerGroup {
    const tree = options.from ?? "consumerGroups";
    return this.instance(tree === "consumers" ? this.consumerGroupFaces : this.groups, tree, name, () => this.groupMember(tree, name));
  }

  /**
   * Runs calls through the interceptors added with `withServerInterceptor`, as calls of the reader
   * `kafka.<tree>.<name>`. The Consumer Server runs each handler call through it (operations
   * "HandleMessage" and "HandleBatch"), so a server interceptor sees every message a handler handles,
   * with the handler's error in `cmd.error`, as Go ekafka's server interceptors did. The built-in
   * interceptors (timing, metrics, trace, debug, access log) are not run again here: they record the
   * reads (`Poll`, once per fetched batch).
   *
   * @returns a function running `fn` as one intercepted call of `operation` carrying `messages`, or
   *   undefined when no server interceptor was added (nothing to run)
   * @throws Error when `kafka.<tree>.<name>` is not configured
   */
  serverInterception(
    tree: ReaderTree,
    name: string,
  ): ((operation: string, messages: Message[], fn: () => Promise<void>) => Promise<void>) | undefined {
    const key = `${this.key}.${tree}.${name}`;
    if (!Object.hasOwn(this.config[tree], name)) throw unknownName(this.key, tree, name, Object.keys(this.config[tree]));
    if (this.options.serverInterceptors.length === 0) return undefined;
    const site = this.site(key, name, tree === "consumers" ? "consumer" : "consumerGroup", this.config[tree][name]!);
    const intercepted = new Intercepted(site, this.options.serverInterceptors);
    return (operation, messages, fn) => intercepted.run(operation, messages, undefined, fn);
  }

  /** The admin client. */
  client(): Client {
    if (this.closed) throw new ClosedError(`component ${this.key}`, "client");
    this.admin ??= new Client({
      key: this.key,
      properties: adminProperties(this.config, { componentKey: this.key }),
      brokers: this.config.brokers,
      interceptors: this.clientInterceptors,
      timeoutMs: this.config.client.timeout,
    });
    return this.admin;
  }

  /** Closes every producer, consumer, consumer group and the admin client it created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unregisterDebugConfig();
    const all: Closable[] = [
      ...this.producers.values(),
      ...this.consumers.values(),
      ...this.groups.values(),
      ...this.consumerGroupFaces.values(),
      ...this.derivedGroups,
    ];
    if (this.admin !== undefined) all.push(this.admin);
    const results = await Promise.allSettled(all.map(async (c) => c.close()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) {
      throw new AggregateError(
        failures.map((f) => f.reason),
        `${this.key}: ${failures.length} of ${all.length} clients failed to close`,
      );
    }
  }

  /** The librdkafka properties of producer `name` (for inspection and validation). */
  producerPropertiesOf(name: string): LibrdkafkaProperties {
    const key = `${this.key}.producers.${name}`;
    return producerProperties(this.config, this.config.producers[name]!, { componentKey: this.key, instanceKey: key });
  }

  /** The librdkafka properties of consumer or consumer group `name`. */
  consumerPropertiesOf(tree: ReaderTree, name: string): LibrdkafkaProperties {
    const key = `${this.key}.${tree}.${name}`;
    return consumerProperties(this.config, this.config[tree][name]!, { componentKey: this.key, instanceKey: key });
  }

  private instance<T>(
    cache: Map<string, T>,
    tree: "producers" | "consumers" | "consumerGroups",
    name: string,
    create: (key: string, config: KafkaConfig) => T,
  ): T {
    if (this.closed) throw new ClosedError(`component ${this.key}`, tree);
    const existing = cache.get(name);
    if (existing !== undefined) return existing;
    if (!Object.hasOwn(this.config[tree], name)) throw unknownName(this.key, tree, name, Object.keys(this.config[tree]));
    const created = create(`${this.key}.${tree}.${name}`, this.config);
    cache.set(name, created);
    return created;
  }

  private session(
    key: string,
    tree: ReaderTree,
    config: ReaderConfig,
    source: SessionSource,
    properties: LibrdkafkaProperties,
    deferRevocation: boolean,
  ): ConsumerSession {
    return new ConsumerSession({
      key,
      config,
      properties,
      source,
      logger: this.logger.child({ reader: key }),
      requestTimeoutMs: Math.max(this.config.client.timeout, config.timeout),
      deferRevocation,
      origins: propertyOrigins({
        componentKey: this.key,
        instanceKey: key,
        tree,
        componentRaw: this.config.properties,
        instanceRaw: config.properties,
      }),
    });
  }

  /**
   * A consumer group member reading with the entry `kafka.<tree>.<name>`, as it is or (derived) in
   * another group on other topics. An entry of `consumers` reads as that consumer does: its call site
   * and the server interceptors; one of `consumerGroups` with the client interceptors.
   */
  private groupMember(
    tree: ReaderTree,
    name: string,
    overrides?: { groupID: string; topics: readonly string[]; startOffset?: number },
  ): ConsumerGroup {
    const base = this.config[tree][name]!;
    const readerConfig: ReaderConfig =
      overrides === undefined
        ? base
        : {
            ...base,
            groupID: overrides.groupID,
            topic: undefined,
            topics: [...overrides.topics],
            topicRegex: undefined,
            partition: undefined,
            startOffset: overrides.startOffset ?? base.startOffset,
          };
    const entryKey = `${this.key}.${tree}.${name}`;
    const key = overrides === undefined ? entryKey : `${entryKey}(${overrides.groupID})`;
    if (readerConfig.groupID === undefined) {
      throw new Error(
        `${key}: reading it as a consumer group needs a groupID; this consumer reads partition ${readerConfig.partition ?? 0} directly`,
      );
    }
    const properties = consumerProperties(this.config, readerConfig, { componentKey: this.key, instanceKey: key });
    const session = this.session(key, tree, readerConfig, readerSource(readerConfig), properties, true);
    const asConsumer = tree === "consumers";
    return new ConsumerGroup(
      session,
      this.site(key, name, asConsumer ? "consumer" : "consumerGroup", readerConfig),
      asConsumer ? this.serverInterceptors : this.clientInterceptors,
      this.decoder(key, readerConfig),
    );
  }

  /** The registry client, when `entry` has a valueFormat or keyFormat (the config check made sure a URL is set). */
  private schemaRegistry(entry: { valueFormat?: string; keyFormat?: string }): SchemaRegistry | undefined {
    const { url } = this.config.schemaRegistry;
    if ((entry.valueFormat === undefined && entry.keyFormat === undefined) || url === undefined) return undefined;
    this.registry ??= new SchemaRegistry({ ...this.config.schemaRegistry, url }, `${this.key}.schemaRegistry.url`);
    return this.registry;
  }

  /** The decoder of a reader with a valueFormat or keyFormat. */
  private decoder(key: string, config: ReaderConfig): MessageDecoder | undefined {
    const registry = this.schemaRegistry(config);
    if (registry === undefined) return undefined;
    const log = this.logger.child({ reader: key });
    return new MessageDecoder(registry, config, key, (message) => log.warn(message));
  }

  private site(key: string, name: string, kind: CallSite["kind"], config: ReaderConfig): CallSite {
    return { key, name, kind, brokers: this.config.brokers, topic: subscriptionOf(config).join(",") };
  }
}

/** `{ [name]: value }` when the value is defined, `{}` otherwise (for exactOptionalPropertyTypes). */
function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [name]: value } as { [P in K]?: V });
}

/** Where a session's partitions come from: its group's subscription, or one partition read directly. */
function readerSource(config: ReaderConfig): SessionSource {
  if (config.groupID !== undefined) return { kind: "group", topics: subscriptionOf(config) };
  return { kind: "partition", topic: config.topic!, partition: config.partition ?? 0, offset: config.startOffset };
}

const SINGULAR = { producers: "producer", consumers: "consumer", consumerGroups: "consumer group" } as const;

function unknownName(key: string, tree: keyof typeof SINGULAR, name: string, configured: string[]): Error {
  const list =
    configured.length === 0 ? `none is configured (add a [${key}.${tree}.${name}] table)` : `configured: ${configured.join(", ")}`;
  return new Error(`${key}: no ${SINGULAR[tree]} named ${JSON.stringify(name)} in [${key}.${tree}]; ${list}`);
}
