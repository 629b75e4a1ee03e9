import type { Component, ReaderTree } from "../../src/index.js";
import { ConfigError, type Logger } from "../../src/core/index.js";
import type { ConsumerServerConfig } from "../config.js";
import { RetryTiers } from "./retry-tiers.js";
import { retryTierSettings } from "./settings.js";
import type { RecordWriter } from "./tier-write.js";

/** What a server knows when it sets up its retry tiers. */
export interface RetryTiersContext {
  /** The server's config key. */
  key: string;
  config: ConsumerServerConfig;
  component: Component;
  /** The entry the server reads its topics with (`consumerName`, else `consumerGroupName`); the retry reader derives its group from it. */
  reader: { tree: ReaderTree; name: string };
  /** The dead-letter producer the server has (from the config or withDeadLetter), with its configured topic. */
  deadLetter: { producer: RecordWriter; topic: string | undefined; name: string } | undefined;
  logger: Logger;
}

/**
 * The server's retry tiers, or undefined when `retryDelays` is empty. Records are written with
 * `retryProducer`, else with the dead-letter producer; dead letters with the dead-letter producer, else
 * with the retry producer to `<topic>.DLT`.
 * @throws ConfigError naming the key for a bad delay or format, or when no producer is named
 */
export function createRetryTiers(context: RetryTiersContext): RetryTiers | undefined {
  const { key, config, component } = context;
  const settings = retryTierSettings(config, key);
  if (settings === undefined) return undefined;
  const producerName = config.retryProducer ?? context.deadLetter?.name;
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
    deadLetter:
      context.deadLetter === undefined
        ? { writer: retryWriter, topic: undefined }
        : { writer: context.deadLetter.producer, topic: context.deadLetter.topic },
    logger: context.logger,
  });
}
