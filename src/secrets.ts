import { fieldTables, type AnyField, type AnyFields, type KafkaConfig } from "./kafka-fields.js";

// The one rule for what is secret, used by every output: the component's "built" log line, the
// governor's /debug/config, and every error or log text that could quote a property value (librdkafka's
// rejection of a property, its broker failure lines). A value is secret when it is
//   - a librdkafka property that librdkafka itself treats as sensitive (SENSITIVE_PROPERTIES), or whose
//     name mentions a password or a secret (a sensitive property added by a later librdkafka), or
//   - a typed key marked `secret` in the field table, or that sets such a property (saslPassword sets
//     sasl.password, tls.keyFile sets ssl.key.location …).

/** What secrets are replaced with. Empty values stay empty, so a log still shows that none was set. */
export const REDACTED = "******";

/**
 * The properties librdkafka marks `_RK_SENSITIVE` in rdkafka_conf.c (librdkafka 2.15.1) and redacts in
 * its own configuration dumps. `ssl_key` is internal (not settable by name) but listed for completeness.
 * A unit test compares this list with the librdkafka sources the client was built from.
 */
export const SENSITIVE_PROPERTIES: ReadonlySet<string> = new Set([
  "ssl.key.location",
  "ssl.key.password",
  "ssl.key.pem",
  "ssl_key",
  "ssl.ca.pem",
  "ssl.keystore.password",
  "sasl.username",
  "sasl.password",
  "sasl.oauthbearer.config",
  "sasl.oauthbearer.client.secret",
  "sasl.oauthbearer.assertion.private.key.file",
  "sasl.oauthbearer.assertion.private.key.passphrase",
  "sasl.oauthbearer.assertion.private.key.pem",
]);

/** True for a librdkafka property whose value must not be shown (names ignore case). */
export function isSecretProperty(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_PROPERTIES.has(lower) || lower.includes("password") || lower.includes("secret");
}

/** True for a typed key whose value must not be shown: marked `secret`, or setting a secret property. */
export function isSecretField(field: AnyField): boolean {
  return field.secret === true || (field.librdkafka ?? []).some((mapping) => isSecretProperty(mapping.name));
}

function redact<V>(value: V): V | typeof REDACTED {
  return value === "" || value === undefined ? value : REDACTED;
}

/** A copy of `properties` with every secret value replaced by {@link REDACTED}. */
export function redactProperties<V>(properties: Readonly<Record<string, V>>): Record<string, V | typeof REDACTED> {
  const redacted: Record<string, V | typeof REDACTED> = {};
  for (const [name, value] of Object.entries(properties)) redacted[name] = isSecretProperty(name) ? redact(value) : value;
  return redacted;
}

/**
 * A copy of the config that is safe to show: every secret typed key and every secret entry of the raw
 * `properties` tables is replaced by {@link REDACTED}; everything else is kept (and not shared with the
 * original).
 */
export function redactConfig(config: KafkaConfig): KafkaConfig {
  return redactEntry(config, fieldTables.kafka) as KafkaConfig;
}

function redactEntry(entry: unknown, fields: AnyFields): unknown {
  const values = entry as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...values };
  for (const [name, field] of Object.entries(fields)) {
    const value = values[name];
    if (value === undefined) continue;
    if (field.type === "object") copy[name] = redactEntry(value, field.fields);
    else if (field.type === "map") copy[name] = mapValues(value, (named) => redactEntry(named, field.of));
    else if (field.type === "properties") copy[name] = redactProperties(value as Record<string, string>);
    else if (isSecretField(field)) copy[name] = redact(value);
    else if (Array.isArray(value)) copy[name] = [...(value as unknown[])];
  }
  return copy;
}

function mapValues(record: unknown, transform: (value: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record as Record<string, unknown>).map(([name, value]) => [name, transform(value)]));
}

/**
 * `text` with every secret value of `properties` that occurs in it replaced by {@link REDACTED}: for
 * messages that may quote a value (librdkafka's rejection of a property, its broker failure lines).
 */
export function redactText(text: string, properties: Readonly<Record<string, unknown>>): string {
  let redacted = text;
  for (const [name, value] of Object.entries(properties)) {
    if (isSecretProperty(name) && typeof value === "string" && value.length > 0) redacted = redacted.split(value).join(REDACTED);
  }
  return redacted;
}
