import type { Component, Consumer, ConsumerGroup, ReaderTree } from "../src/index.js";
import { ConfigError, type Logger } from "../src/core/index.js";
import type { ConsumerServerConfig } from "./config.js";
import { DEAD_LETTER_TOPIC_SUFFIX } from "./dead-letter.js";
import type { InterceptedCall } from "./middleware.js";
import { createRetryTiers } from "./retry-tiers/create.js";
import type { RetryTiers } from "./retry-tiers/retry-tiers.js";
import type { ServerTransactions } from "./transactions.js";

/** The handler kinds a server can run. */
export type ModeKind = "onEachMessage" | "onEachBatch" | "onStart" | "onConsumerGroupStart";

/** The Kafka instances a server uses, got from the component by {@link serverResources}. */
export interface Resources {
  group?: ConsumerGroup;
  /** The entry `onEachMessage` / `onEachBatch` read with. */
  reader?: { tree: ReaderTree; name: string };
  /** The server interceptors, as calls of the reader the handler's messages come from. */
  intercept?: InterceptedCall;
  consumer?: Consumer;
  deadLetter?: { producer: ReturnType<Component["producer"]>; topic: string | undefined; name: string };
  /** With `retryDelays`: the retry topics, where failures are moved and their subscription. */
  tiers?: RetryTiers | undefined;
  /** With `transactionalProducer`: the transactions each delivery is handled in. */
  transactions?: ServerTransactions | undefined;
}

/** What a server knows when it gets its resources. */
export interface ResourceContext {
  key: string;
  config: ConsumerServerConfig;
  component: Component;
  /** The dead-letter producer's name (option or config), if any. */
  deadLetterProducer: string | undefined;
  logger: Logger;
}

/**
 * Gets the consumer group (or consumer), the dead-letter producer and the retry tiers a server running
 * `mode` uses from its component.
 * @throws ConfigError naming the server's key when a name is missing or not configured
 */
export function serverResources(mode: ModeKind, context: ResourceContext): Resources {
  const { component } = context;
  const named = <T>(field: string, name: string, get: (name: string) => T) => namedIn(context.key, field, name, get);
  const resources: Resources = {};
  if (mode === "onStart") {
    resources.consumer = named("consumerName", required(context, "consumerName", mode, "consumers"), (n) => component.consumer(n));
    return resources;
  }
  if (mode === "onConsumerGroupStart") {
    resources.group = named("consumerGroupName", required(context, "consumerGroupName", mode, "consumerGroups"), (n) =>
      component.consumerGroup(n),
    );
    return resources;
  }
  const reader = readerOf(mode, context);
  resources.reader = reader;
  resources.group = named(reader.tree === "consumers" ? "consumerName" : "consumerGroupName", reader.name, (n) =>
    component.consumerGroup(n, { from: reader.tree }),
  );
  resources.intercept = component.serverInterception(reader.tree, reader.name);
  const deadLetter = context.deadLetterProducer;
  if (deadLetter !== undefined) {
    const producer = named("deadLetterProducer", deadLetter, (n) => component.producer(n));
    resources.deadLetter = { producer, topic: configuredTopic(component, deadLetter), name: deadLetter };
  }
  resources.tiers = createRetryTiers({
    key: context.key,
    config: context.config,
    component,
    reader,
    deadLetterName: resources.deadLetter?.name,
    deadLetterTopicOf: (topic) => deadLetterTopicOf(resources, topic),
    logger: context.logger,
  });
  return resources;
}

/** `<topic>.DLT`, unless the dead-letter producer has a topic of its own (then undefined: the producer's topic applies). */
export function deadLetterTopicOf(resources: Resources, originalTopic: string): string | undefined {
  return resources.deadLetter?.topic === undefined ? `${originalTopic}${DEAD_LETTER_TOPIC_SUFFIX}` : undefined;
}

/** The topics the reader entry names (none for a topicRegex). */
export function topicsOf(component: Component, reader: { tree: ReaderTree; name: string }): string[] {
  const entry = component.config[reader.tree][reader.name];
  if (entry === undefined) return [];
  return entry.topics.length > 0 ? [...entry.topics] : entry.topic === undefined ? [] : [entry.topic];
}

/**
 * Which reader `onEachMessage` / `onEachBatch` use. Go's rule: the consumer `consumerName`, with its
 * settings. Beyond Go: the consumer group `consumerGroupName` when it is the only name set. When both
 * are set, the server says once which one it reads with.
 * @throws ConfigError naming consumerName when neither is set
 */
function readerOf(mode: ModeKind, { key, config, logger }: ResourceContext): { tree: ReaderTree; name: string } {
  const { consumerName, consumerGroupName } = config;
  if (consumerName !== undefined) {
    if (consumerGroupName !== undefined) {
      logger.info(
        { consumerName, consumerGroupName },
        `${mode} reads with consumerName ${consumerName} (kafka.consumers.${consumerName}) and its settings, as in Go; consumerGroupName ${consumerGroupName} is for onConsumerGroupStart`,
      );
    }
    return { tree: "consumers", name: consumerName };
  }
  if (consumerGroupName !== undefined) return { tree: "consumerGroups", name: consumerGroupName };
  throw ConfigError.atKey(
    `${key}.consumerName`,
    `required for ${mode}: the name of a kafka.consumers entry (or set consumerGroupName to read with a kafka.consumerGroups entry)`,
  );
}

function required(context: ResourceContext, field: "consumerName" | "consumerGroupName", mode: ModeKind, section: string): string {
  const name = context.config[field];
  if (name === undefined) throw ConfigError.atKey(`${context.key}.${field}`, `required for ${mode}: the name of a kafka.${section} entry`);
  return name;
}

/** Gets a named instance from the component; its unknown-name error is re-thrown naming the server's key. */
function namedIn<T>(key: string, field: string, name: string, get: (name: string) => T): T {
  try {
    return get(name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${key}.${field}: ${reason}`, { key: `${key}.${field}`, cause: error });
  }
}

/** The topic configured for the producer `name`, if any (names matched as the component does, ignoring case as a fallback). */
function configuredTopic(component: Component, name: string): string | undefined {
  const producers = component.config.producers;
  const entry = producers[name] ?? Object.entries(producers).find(([candidate]) => candidate.toLowerCase() === name.toLowerCase())?.[1];
  return entry?.topic;
}
