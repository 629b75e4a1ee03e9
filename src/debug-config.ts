import type { Component } from "./component.js";
import { isSecretProperty, redactConfig, REDACTED } from "./config.js";
import { adminProperties, type LibrdkafkaProperties } from "./librdkafka-properties.js";

/**
 * Properties that hold a secret without saying so in their name: an inline private key, and the
 * OAUTHBEARER config string (which carries client secrets). Shown as redacted on top of the names
 * isSecretProperty catches.
 */
const SECRET_VALUED = /(^|\.)key\.pem$|keystore\.pem$|oauthbearer\.config$/i;

/** `properties` with every secret value replaced by REDACTED (empty values stay empty). */
export function redactProperties(properties: LibrdkafkaProperties): LibrdkafkaProperties {
  const redacted: LibrdkafkaProperties = {};
  for (const [name, value] of Object.entries(properties)) {
    const secret = isSecretProperty(name) || SECRET_VALUED.test(name);
    redacted[name] = secret && value !== "" ? REDACTED : value;
  }
  return redacted;
}

/**
 * What the governor's `/debug/config` shows of a component: its decoded `[kafka]` tree and the
 * librdkafka properties each configured client is (or would be) built with, secrets redacted.
 */
export function componentDebugConfig(component: Component): unknown {
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
