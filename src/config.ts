import { existsSync } from "node:fs";
import { ConfigError } from "./core/errors.js";
import { decode } from "./core/schema.js";
import { closestName } from "./core/suggestion.js";
import { fitProducer, fitReader, notNegativeFields, zeroAsDefault } from "./go-values.js";
import { findKeyIgnoringCase, isTable, joinKeyPath } from "./core/table.js";
import { checkGroupKeys, checkUniqueInstances } from "./group-protocol.js";
import {
  FIRST_OFFSET,
  kafkaSchema,
  LAST_OFFSET,
  SASL_MECHANISMS,
  type KafkaConfig,
  type ProducerConfig,
  type ReaderConfig,
  type SaslMechanism,
  type TlsConfig,
  type AnyField,
  type AnyFields,
} from "./kafka-fields.js";
import { checkSerdeConfig } from "./schema-registry/config.js";

// Decoding the `[kafka]` tree: every key, its default and Go's rules for it are in the field table
// (kafka-fields.ts); this file adds the rules that involve more than one key.

// The field table's constants and types are part of what this module offers.
export * from "./kafka-fields.js";

/**
 * Decodes and checks the `[kafka]` tree.
 *
 * @param raw the tree as loaded, e.g. `config.get("kafka")`
 * @param keyPath where the tree sits (`"kafka"`), used in every error and warning
 * @param warn receives warnings (unknown keys, ignored settings); the core logger by default
 * @throws ConfigError naming the offending key, what was expected and what was found
 */
export function decodeKafkaConfig(raw: unknown, keyPath: string, warn?: (message: string) => void): KafkaConfig {
  const decoded = decode(raw, kafkaSchema, keyPath, warn);
  const at = (...path: string[]) => path.reduce(joinKeyPath, keyPath);
  const report = warn ?? (() => undefined);
  const written = (tree: string, name: string): unknown => {
    const trees = isTable(raw) ? raw[findKeyIgnoringCase(raw, tree) ?? tree] : undefined;
    return isTable(trees) ? trees[name] : undefined;
  };
  const readers = (tree: "consumers" | "consumerGroups") =>
    mapEntries(decoded[tree] as Record<string, ReaderConfig>, (r, name) =>
      checkGroupKeys(fitReader(r, tree, at(tree, name), report), written(tree, name), at(tree, name)),
    );
  const config: KafkaConfig = {
    ...decoded,
    saslMechanism: canonicalSaslMechanism(decoded.saslMechanism, at("saslMechanism")),
    client: zeroAsDefault(decoded.client, kafkaSchema.client.fields),
    producers: mapEntries(decoded.producers, (p, name) => fitProducer(p, at("producers", name), report)),
    consumers: readers("consumers"),
    consumerGroups: readers("consumerGroups"),
  };
  if (config.statisticsInterval < 0)
    throw ConfigError.atKey(
      at("statisticsInterval"),
      `expected a duration of at least 0 ("0" turns statistics off), found ${config.statisticsInterval} ms`,
    );
  checkSasl(config, at, report);
  checkTls(config.tls, at("tls"));
  for (const [name, producer] of Object.entries(config.producers)) checkProducer(producer, at("producers", name));
  for (const [name, consumer] of Object.entries(config.consumers)) checkConsumer(consumer, at("consumers", name));
  for (const [name, group] of Object.entries(config.consumerGroups)) checkConsumerGroup(group, at("consumerGroups", name));
  for (const tree of ["producers", "consumers", "consumerGroups"] as const) {
    for (const [name, entry] of Object.entries<ProducerConfig | ReaderConfig>(config[tree]))
      checkSerdeConfig(entry, at(tree, name), config.schemaRegistry, at("schemaRegistry"), tree === "producers");
  }
  checkUniqueInstances(config, at);
  return config;
}

/**
 * The topics a reader subscribes to, in librdkafka's form: `topic`, `topics`, or `topicRegex` with the
 * leading `^` that tells librdkafka a name is a regular expression.
 */
export function subscriptionOf(reader: ReaderConfig): string[] {
  if (reader.topicRegex !== undefined) {
    return [reader.topicRegex.startsWith("^") ? reader.topicRegex : `^${reader.topicRegex}`];
  }
  if (reader.topics.length > 0) return [...reader.topics];
  return reader.topic === undefined ? [] : [reader.topic];
}

// An enum field would reject a bad value too, but its message would list "" among the choices; this one
// says what the empty value means and suggests the nearest mechanism for a typo.
function canonicalSaslMechanism(value: string, keyPath: string): SaslMechanism {
  const wanted = value.trim();
  if (wanted === "") return "";
  const known = SASL_MECHANISMS.find((mechanism) => mechanism.toLowerCase() === wanted.toLowerCase());
  if (known !== undefined) return known;
  const suggestion = closestName(wanted, SASL_MECHANISMS);
  const hint = suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`;
  throw ConfigError.atKey(
    keyPath,
    `unknown SASL mechanism ${JSON.stringify(wanted)}${hint}; expected one of ${SASL_MECHANISMS.join(", ")}, or leave it empty for no SASL`,
  );
}

function checkSasl(config: KafkaConfig, at: (...path: string[]) => string, warn: (message: string) => void): void {
  if (config.saslMechanism === "") {
    if (config.saslUserName !== "" || config.saslPassword !== "") {
      warn(`${at("saslUserName")}/${at("saslPassword")} are set but ${at("saslMechanism")} is empty, so SASL is off`);
    }
    return;
  }
  // Never echo the password: only say whether it is there.
  if (config.saslUserName === "") {
    throw ConfigError.atKey(at("saslUserName"), `is required when saslMechanism is ${config.saslMechanism}`);
  }
  if (config.saslPassword === "") {
    throw ConfigError.atKey(at("saslPassword"), `is required when saslMechanism is ${config.saslMechanism}`);
  }
}

function checkTls(tls: TlsConfig, keyPath: string): void {
  const files = { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile };
  if (!tls.enable) {
    const set = [
      ...Object.entries(files)
        .filter(([, file]) => file !== undefined)
        .map(([name]) => name),
    ];
    if (tls.insecureSkipVerify) set.push("insecureSkipVerify");
    if (set.length > 0) {
      throw ConfigError.atKey(
        keyPath,
        `${set.join(", ")} ${set.length === 1 ? "is" : "are"} set but tls.enable is false; set enable = true to connect with TLS`,
      );
    }
    return;
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    const missing = tls.certFile === undefined ? "certFile" : "keyFile";
    throw ConfigError.atKey(joinKeyPath(keyPath, missing), "is required: certFile and keyFile go together (mutual TLS)");
  }
  if (tls.keyPassword !== undefined && tls.keyFile === undefined) {
    throw ConfigError.atKey(joinKeyPath(keyPath, "keyPassword"), "is set but keyFile is not");
  }
  for (const [name, file] of Object.entries(files)) {
    if (file !== undefined && !existsSync(file)) {
      throw ConfigError.atKey(joinKeyPath(keyPath, name), `file ${JSON.stringify(file)} does not exist`);
    }
  }
}

function checkProducer(producer: ProducerConfig, keyPath: string): void {
  const key = (field: string) => joinKeyPath(keyPath, field);
  if (producer.compression > 4) {
    throw ConfigError.atKey(
      key("compression"),
      `expected one of 0, 1, 2, 3, 4 (none, gzip, snappy, lz4, zstd), found ${producer.compression}`,
    );
  }
  if (producer.idempotent && producer.requiredAcks !== -1) {
    throw ConfigError.atKey(key("requiredAcks"), `must be -1 when idempotent = true, found ${producer.requiredAcks}`);
  }
  if (producer.transactionalID !== undefined) checkTransactional(producer, keyPath);
  if (producer.idempotent && producer.maxAttempts < 2) {
    throw ConfigError.atKey(
      key("maxAttempts"),
      `must be at least 2 when idempotent = true (retries are what it protects), found ${producer.maxAttempts}`,
    );
  }
}

/** What librdkafka and the transaction protocol need of a producer with a transactionalID. */
function checkTransactional(producer: ProducerConfig, keyPath: string): void {
  const key = (field: string) => joinKeyPath(keyPath, field);
  if (producer.transactionalID!.trim() === "") throw ConfigError.atKey(key("transactionalID"), "must not be empty");
  if (producer.requiredAcks !== -1) {
    throw ConfigError.atKey(
      key("requiredAcks"),
      `must be -1 with a transactionalID (a transaction needs every in-sync replica), found ${producer.requiredAcks}`,
    );
  }
  if (producer.async) {
    throw ConfigError.atKey(key("async"), "must be false with a transactionalID: a transaction's writes are confirmed by its commit");
  }
  if (producer.writeTimeout > producer.transactionTimeout) {
    throw ConfigError.atKey(
      key("writeTimeout"),
      `must not exceed transactionTimeout (${producer.transactionTimeout} ms) with a transactionalID, found ${producer.writeTimeout} ms`,
    );
  }
}

function checkConsumer(consumer: ReaderConfig, keyPath: string): void {
  checkReader(consumer, keyPath);
  const key = (field: string) => joinKeyPath(keyPath, field);
  // partition = 0 with a groupID is Go's zero value ("not set") and was dropped when fitting.
  if (consumer.groupID !== undefined && consumer.partition !== undefined) {
    throw ConfigError.atKey(keyPath, "set either groupID (read as a group member) or partition (read one partition), not both");
  }
  if (consumer.groupID === undefined && (consumer.topicRegex !== undefined || consumer.topics.length > 1)) {
    throw ConfigError.atKey(
      key(consumer.topicRegex !== undefined ? "topicRegex" : "topics"),
      "needs groupID: without a group a consumer reads one partition of one topic",
    );
  }
}

function checkConsumerGroup(group: ReaderConfig, keyPath: string): void {
  if (group.groupID === undefined || group.groupID.trim() === "") {
    throw ConfigError.atKey(joinKeyPath(keyPath, "groupID"), "is required for a consumer group");
  }
  checkReader(group, keyPath);
}

function checkReader(reader: ReaderConfig, keyPath: string): void {
  const key = (field: string) => joinKeyPath(keyPath, field);
  checkNonNegative(reader, notNegativeFields, keyPath);
  checkTopicChoice(reader, keyPath);
  if (reader.groupID !== undefined && reader.groupID.trim() === "") {
    throw ConfigError.atKey(key("groupID"), "must not be empty");
  }
  if (reader.minBytes > reader.maxBytes) {
    throw ConfigError.atKey(key("minBytes"), `must not exceed maxBytes (${reader.minBytes} > ${reader.maxBytes})`);
  }
  if (reader.readBackoffMin > reader.readBackoffMax) {
    throw ConfigError.atKey(
      key("readBackoffMin"),
      `must not exceed readBackoffMax (${reader.readBackoffMin}ms > ${reader.readBackoffMax}ms)`,
    );
  }
  if (reader.groupID === undefined) return;
  if (reader.startOffset !== FIRST_OFFSET && reader.startOffset !== LAST_OFFSET) {
    throw ConfigError.atKey(key("startOffset"), `expected -2 (oldest) or -1 (newest) for a group, found ${reader.startOffset}`);
  }
}

function checkTopicChoice(reader: ReaderConfig, keyPath: string): void {
  const chosen = [
    reader.topic !== undefined && reader.topic.trim() !== "" ? "topic" : undefined,
    reader.topics.length > 0 ? "topics" : undefined,
    reader.topicRegex !== undefined && reader.topicRegex.trim() !== "" ? "topicRegex" : undefined,
  ].filter((name) => name !== undefined);
  if (chosen.length === 0) {
    throw ConfigError.atKey(joinKeyPath(keyPath, "topic"), "is required: set topic, topics or topicRegex");
  }
  if (chosen.length > 1) {
    throw ConfigError.atKey(keyPath, `set only one of topic, topics and topicRegex, found ${chosen.join(" and ")}`);
  }
  if (reader.topicRegex !== undefined) checkRegex(reader.topicRegex, joinKeyPath(keyPath, "topicRegex"));
}

function checkRegex(pattern: string, keyPath: string): void {
  try {
    new RegExp(pattern);
  } catch (error) {
    throw ConfigError.atKey(keyPath, `is not a valid regular expression: ${(error as Error).message}`);
  }
}

function checkNonNegative(entry: object, fields: readonly string[], keyPath: string): void {
  const values = entry as Record<string, unknown>;
  for (const field of fields) {
    const value = values[field];
    if (typeof value === "number" && value < 0) {
      throw ConfigError.atKey(joinKeyPath(keyPath, field), `must not be negative, found ${value}ms`);
    }
  }
}

function mapEntries<T, U>(record: Record<string, T>, transform: (value: T, name: string) => U): Record<string, U> {
  const result: Record<string, U> = {};
  for (const [name, value] of Object.entries(record)) result[name] = transform(value, name);
  return result;
}

/**
 * The schema entry of a key in the `[kafka]` tree, written with `<name>` for user-chosen names
 * (`producers.<name>.compression`, `tls.caFile`); `undefined` for an unknown key. Lets generated
 * references (README, mapping table) show types and defaults without restating them.
 */
export function kafkaFieldSpec(key: string): AnyField | undefined {
  let schema: AnyFields | undefined = kafkaSchema;
  let spec: AnyField | undefined;
  for (const segment of key.split(".")) {
    if (spec?.type === "map") {
      schema = spec.of;
      spec = undefined;
      continue; // the <name> segment
    }
    if (spec?.type === "object") schema = spec.fields;
    spec = schema?.[segment];
    if (spec === undefined) return undefined;
  }
  return spec;
}
