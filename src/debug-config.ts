import type { KafkaConfig } from "./config.js";
import { adminProperties, type LibrdkafkaProperties } from "./librdkafka-properties.js";
import { redactConfig, redactProperties } from "./secrets.js";

/** What `/debug/config` reads of a component (a Component is one). */
export interface DebugConfigSource {
  /** The component's key, e.g. "kafka". */
  readonly key: string;
  /** The decoded `[kafka]` tree. */
  readonly config: KafkaConfig;
  /** The librdkafka properties the named producer is (or would be) built with. */
  producerPropertiesOf(name: string): LibrdkafkaProperties;
  /** The librdkafka properties the named consumer or consumer group member is (or would be) built with. */
  consumerPropertiesOf(tree: "consumers" | "consumerGroups", name: string): LibrdkafkaProperties;
}

/**
 * What the governor's `/debug/config` shows of a component: its decoded `[kafka]` tree and the
 * librdkafka properties each configured client is (or would be) built with, secrets redacted by the
 * one rule of secrets.ts.
 */
export function componentDebugConfig(component: DebugConfigSource): unknown {
  const config = component.config;
  const each = <T>(names: Record<string, T>, properties: (name: string) => LibrdkafkaProperties) =>
    Object.fromEntries(Object.keys(names).map((name) => [name, redactProperties(properties(name))]));
  return {
    config: redactConfig(config),
    librdkafka: {
      producers: each(config.producers, (name) => component.producerPropertiesOf(name)),
      consumers: each(config.consumers, (name) => component.consumerPropertiesOf("consumers", name)),
      consumerGroups: each(config.consumerGroups, (name) => component.consumerPropertiesOf("consumerGroups", name)),
      admin: redactProperties(adminProperties(config, { componentKey: component.key })),
    },
  };
}
