import { ConfigError, parseDuration } from "../../src/core/index.js";
import type { ConsumerServerConfig } from "../config.js";

/** The `retryTopicFormat` default: Spring Kafka's `-retry-n` idea in Kafka's dotted style, e.g. `orders.retry.1`. */
export const DEFAULT_RETRY_TOPIC_FORMAT = "{topic}.retry.{n}";

/** How a server's retry tiers are set up, decoded from its `[kafkaConsumerServers.<name>]` tree. */
export interface RetryTierSettings {
  /** How long a message waits in tier n (index n - 1), in ms. At least one. */
  readonly delaysMs: readonly number[];
  /** The retry topic name pattern, with `{topic}` and `{n}`. */
  readonly topicFormat: string;
  /** Whether errors that are not recoverable go through the tiers too (else straight to the dead-letter topic). */
  readonly retryNonRecoverable: boolean;
}

/**
 * The retry-tier settings of a server, or undefined when `retryDelays` is empty (retries stay in place).
 * @throws ConfigError naming the key when a delay is not a positive duration or the topic format lacks a placeholder
 */
export function retryTierSettings(config: ConsumerServerConfig, key: string): RetryTierSettings | undefined {
  if (config.retryDelays.length === 0) return undefined;
  const delaysMs = config.retryDelays.map((text, index) => {
    const keyPath = `${key}.retryDelays[${index}]`;
    const ms = parseDuration(text, keyPath);
    if (!(ms > 0)) throw ConfigError.atKey(keyPath, `expected a positive duration such as "10s", found ${JSON.stringify(text)}`);
    return ms;
  });
  const topicFormat = config.retryTopicFormat;
  for (const placeholder of ["{topic}", "{n}"]) {
    if (!topicFormat.includes(placeholder)) {
      throw ConfigError.atKey(
        `${key}.retryTopicFormat`,
        `expected a pattern containing ${placeholder} (e.g. "${DEFAULT_RETRY_TOPIC_FORMAT}"), found ${JSON.stringify(topicFormat)}`,
      );
    }
  }
  return { delaysMs, topicFormat, retryNonRecoverable: config.retryNonRecoverable };
}

/** The retry topic of tier `n` (1 for the first) for `topic`. */
export function retryTopicName(format: string, topic: string, n: number): string {
  return format.replaceAll("{topic}", topic).replaceAll("{n}", String(n));
}
