import type { Component, ReaderTree } from "../../src/index.js";
import { ConfigError, type Logger } from "../../src/core/index.js";
import type { ConsumerServerConfig } from "../config.js";
import { RetryTiers } from "./retry-tiers.js";
import { retryTierSettings } from "./settings.js";
import type { RecordWriter } from "../move-on-failure.js";

/** What a server knows when it sets up its retry tiers. */
export interface RetryTiersContext {
  /** The server's config key. */
  key: string;
  config: ConsumerServerConfig;
  component: Component;
  /** The entry the server reads its topics with (`consumerName`, else `consumerGroupName`); the retry reader derives its group from it. */
  reader: { tree: ReaderTree; name: string };
  /** The dead-letter producer the server has (from the config or withDeadLetter), if any. */
  deadLetterName: string | undefined;
  /** The dead-letter topic of an original topic the server derives, or undefined for the dead-letter producer's own topic. */
  deadLetterTopicOf: (originalTopic: string) => string | undefined;
  logger: Logger;
}

/**
 * The server's retry tiers, or undefined when `retryDelays` is empty. Records are written with
 * `retryProducer`, else with the dead-letter producer (dead letters: see the server's failure destinations).
 * @throws ConfigError naming the key for a bad delay or format, or when no producer is named
 */
export function createRetryTiers(context: RetryTiersContext): RetryTiers | undefined {
  const { key, config, component } = context;
  const settings = retryTierSettings(config, key);
  if (settings === undefined) return undefined;
  const producerName = config.retryProducer ?? context.deadLetterName;
  if (producerName === undefined) {
    throw ConfigError.atKey(
      `${key}.retryProducer`,
      "required with retryDelays: the kafka.producers entry that writes the retry-topic records (or set deadLetterProducer)",
    );
  }
  let retryWriter: RecordWriter;
  try {
    retryWriter = component.producer(producerName);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${key}.retryProducer: ${reason}`, { key: `${key}.retryProducer`, cause: error });
  }
  return new RetryTiers({
    key,
    settings,
    component,
    reader: context.reader,
    retryWriter,
    deadLetterTopicOf: context.deadLetterTopicOf,
    logger: context.logger,
  });
}
