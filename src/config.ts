import { existsSync } from "node:fs";
import { ConfigError } from "./core/errors.js";
import { decode, defineSchema, type FieldSpec, type Schema } from "./core/schema.js";
import { closestName } from "./core/suggestion.js";
import { fitProducer, fitReader } from "./go-values.js";
import { joinKeyPath } from "./core/table.js";
import {
  checkSerdeConfig,
  producerSerdeSchema,
  readerSerdeSchema,
  schemaRegistrySchema,
  type ProducerSerdeConfig,
  type ReaderSerdeConfig,
  type SchemaRegistrySettings,
} from "./schema-registry/config.js";

// The `[kafka]` tree: one schema holds every key and its default; the interfaces below describe the
// decoded result; decodeKafkaConfig adds the rules that involve more than one key.
//
// Zero values: Go ekafka hands its config straight to kafka-go, which treats a zero value as "not set"
// and applies its own default. A Go file that says `maxAttempts = 0` or `batchTimeout = "0"` therefore
// gets the default, and so it does here (see ZERO_MEANS_DEFAULT). Keys where zero is a real value
// (`requiredAcks`, `compression`, `commitInterval`, `partition`) keep it.

/** The SASL mechanisms Go ekafka accepts (`saslMechanism`); "" means no SASL. */
export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;

/** `saslMechanism` after decoding: one of {@link SASL_MECHANISMS} in canonical spelling, or "" for none. */
export type SaslMechanism = "" | (typeof SASL_MECHANISMS)[number];

/** kafka-go's `FirstOffset`: start from the oldest message when the group has no committed offset. */
export const FIRST_OFFSET = -2;
/** kafka-go's `LastOffset`: start from the newest message when the group has no committed offset. */
export const LAST_OFFSET = -1;

const SECOND = 1000;
const MEGABYTE = 1_048_576;

/** The raw librdkafka property table of one level (component, producer or reader). */
const propertiesField = (owner: string) => ({
  type: "properties" as const,
  doc:
    `Raw librdkafka properties for ${owner}, applied last so they override the typed keys ` +
    '(e.g. `"linger.ms" = 5`). Beyond the Go original.',
});

const tlsSchema = defineSchema({
  enable: { type: "boolean", default: false, doc: "Connect with TLS (security.protocol SSL, or SASL_SSL with SASL)." },
  caFile: { type: "string", doc: "PEM file of the CA certificates that sign the brokers' certificates." },
  certFile: { type: "string", doc: "PEM file of the client certificate (mutual TLS); needs keyFile." },
  keyFile: { type: "string", doc: "PEM file of the client private key (mutual TLS); needs certFile." },
  keyPassword: { type: "string", doc: "Password of keyFile, if it is encrypted. Never logged." },
  insecureSkipVerify: {
    type: "boolean",
    default: false,
    doc: "Do not verify the brokers' certificates nor their host names (tests only).",
  },
});

const producerSchema = defineSchema({
  topic: {
    type: "string",
    doc: "The topic written to. May be left out when every message names its own topic.",
  },
  balancer: {
    type: "string",
    default: "roundRobin",
    doc: 'How a partition is chosen: "roundRobin", "hash" (kafka-go/Sarama FNV-1a), "murmur2" (Java client) or a registered name.',
  },
  maxAttempts: {
    type: "number",
    integer: true,
    default: 10,
    doc: "How many times a message is tried before the write fails (first try included).",
  },
  batchSize: {
    type: "number",
    integer: true,
    default: 100,
    doc: "Most messages sent in one batch.",
  },
  batchBytes: {
    type: "number",
    integer: true,
    default: MEGABYTE,
    doc: "Most bytes sent in one batch.",
  },
  batchTimeout: {
    type: "duration",
    default: 5,
    doc:
      "How long a batch waits to fill before it is sent (librdkafka's linger). kafka-go's default is 1s, which " +
      'makes every synchronous write wait up to 1s; this component defaults to "5ms", and batches still fill under load.',
  },
  readTimeout: {
    type: "duration",
    default: 10 * SECOND,
    doc: "How long one request to a broker may wait for its response.",
  },
  writeTimeout: {
    type: "duration",
    default: 10 * SECOND,
    doc:
      "How long a message may take to be delivered, retries included; then the write fails. When it is not longer than " +
      "batchTimeout, batchTimeout + writeTimeout is used (with a warning).",
  },
  requiredAcks: {
    type: "number",
    oneOf: [-1, 0, 1],
    default: -1,
    doc:
      "Acknowledgements a write waits for: 0 none (fire-and-forget), 1 the leader, -1 all in-sync replicas. " +
      "Default -1; kafka-go's (so Go ekafka's) default was 0, set 0 explicitly for that.",
  },
  async: {
    type: "boolean",
    default: false,
    doc: "writeMessages returns once the messages are queued, without waiting for delivery (errors are only logged).",
  },
  compression: {
    type: "number",
    integer: true,
    default: 0,
    doc: "Compression codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.",
  },
  idempotent: {
    type: "boolean",
    default: false,
    doc: "Idempotent producer: no duplicates or reordering on retry. Needs requiredAcks = -1. Beyond the Go original.",
  },
  clientID: { type: "string", doc: "client.id for this producer; overrides kafka.clientID. Beyond the Go original." },
  ...producerSerdeSchema,
  properties: propertiesField("this producer"),
});

const readerSchema = defineSchema({
  topic: { type: "string", doc: "The topic read from. Set exactly one of topic, topics and topicRegex." },
  topics: {
    type: "stringList",
    default: [],
    doc: "Several topics read by one consumer (needs groupID). Beyond the Go original.",
  },
  topicRegex: {
    type: "string",
    doc: 'Read every topic whose name matches this regular expression, e.g. "^orders-.*" (needs groupID). Beyond the Go original.',
  },
  groupID: { type: "string", doc: "The consumer group. A consumer with a groupID must not set partition." },
  minBytes: {
    type: "number",
    integer: true,
    min: 0,
    default: 1,
    doc: "Fewest bytes a fetch waits for (up to maxWait) before the broker answers.",
  },
  maxBytes: {
    type: "number",
    integer: true,
    min: 0,
    default: MEGABYTE,
    doc: "Most bytes fetched per partition in one request; must be at least minBytes.",
  },
  maxWait: {
    type: "duration",
    default: 10 * SECOND,
    doc:
      "Longest a fetch waits for minBytes. With librdkafka one fetch serves all partitions on a broker, so " +
      'a long wait can also delay reading a newly assigned or re-positioned partition; lower it (e.g. "500ms") when that matters.',
  },
  startOffset: {
    type: "number",
    integer: true,
    default: FIRST_OFFSET,
    doc: "Where to start when there is no committed offset: -2 oldest, -1 newest (the only values a group accepts).",
  },
  commitInterval: {
    type: "duration",
    default: 0,
    doc: "How often committed messages are flushed to the broker; 0 commits synchronously in commitMessages.",
  },
  heartbeatInterval: {
    type: "duration",
    default: 3 * SECOND,
    doc: "How often the member tells the group coordinator it is alive; keep it well below sessionTimeout (about a third).",
  },
  sessionTimeout: {
    type: "duration",
    default: 30 * SECOND,
    doc: "How long the coordinator waits without a heartbeat before it drops the member.",
  },
  rebalanceTimeout: {
    type: "duration",
    default: 30 * SECOND,
    doc:
      "How long the coordinator waits for members to rejoin during a rebalance; librdkafka also uses it as the longest " +
      "time between two reads before the member leaves the group. When shorter than sessionTimeout, sessionTimeout is used (with a warning).",
  },
  joinGroupBackoff: {
    type: "duration",
    default: 5 * SECOND,
    doc: "Wait before rejoining the group after an error (librdkafka rejoins on its own schedule; kept for compatibility).",
  },
  retentionTime: {
    type: "duration",
    default: -1,
    doc: "How long the broker keeps the group's offsets; -1 leaves it to the broker (offsets.retention.minutes).",
  },
  readLagInterval: {
    type: "duration",
    default: 60 * SECOND,
    doc:
      "Accepted and ignored: kafka-go refreshed its Stats().Lag on this interval; here lag() reads the watermarks of the last " +
      "fetch and readLag() asks the partition leaders when called, so nothing refreshes in the background.",
  },
  watchPartitionChanges: {
    type: "boolean",
    default: false,
    doc: "Look for new partitions every partitionWatchInterval and rebalance onto them.",
  },
  partitionWatchInterval: {
    type: "duration",
    default: 5 * SECOND,
    doc: "How often partition changes are looked for when watchPartitionChanges is on.",
  },
  readBackoffMin: {
    type: "duration",
    default: 100,
    doc: "First wait before fetching again after an error (it grows up to readBackoffMax).",
  },
  readBackoffMax: {
    type: "duration",
    default: 1 * SECOND,
    doc: "Longest wait before fetching again after errors.",
  },
  timeout: {
    type: "duration",
    default: 5 * SECOND,
    doc: "Timeout of calls to the group coordinator (commit, committed offsets, offset lookups).",
  },
  isolationLevel: {
    type: "enum",
    values: ["read_committed", "read_uncommitted"],
    default: "read_committed",
    doc: "read_committed hides messages of aborted transactions (kafka-go read uncommitted). Beyond the Go original.",
  },
  clientID: { type: "string", doc: "client.id for this reader; overrides kafka.clientID. Beyond the Go original." },
  ...readerSerdeSchema,
  properties: propertiesField("this reader"),
});

const consumerSchema = defineSchema({
  ...readerSchema,
  partition: {
    type: "number",
    integer: true,
    min: 0,
    doc: "Read this one partition (no group); 0 when neither partition nor groupID is set. Not with groupID.",
  },
});

/** The `[kafka]` tree, key by key, with every default. Keys match case-insensitively. */
export const kafkaSchema = defineSchema({
  brokers: {
    type: "stringList",
    default: [],
    doc: 'Bootstrap brokers, ["host:port", …] or "host:port,host:port".',
  },
  debug: {
    type: "boolean",
    default: false,
    doc:
      "One readable line per call on stderr. Go's default is true but it only printed in Ego's development " +
      "mode (EGO_DEBUG); here the default is false.",
  },
  saslMechanism: {
    type: "string",
    default: "",
    doc: 'SASL mechanism: "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"; empty for none.',
  },
  saslUserName: { type: "string", default: "", doc: "SASL user name." },
  saslPassword: { type: "string", default: "", doc: 'SASL password; use "${ENV_VAR}" to keep it out of the file. Never logged.' },
  client: {
    type: "object",
    fields: defineSchema({
      timeout: { type: "duration", default: 3 * SECOND, doc: "Timeout of each admin operation (client())." },
    }),
    doc: "The admin client.",
  },
  enableAccessInterceptor: { type: "boolean", default: false, doc: "Log one access line per call." },
  enableAccessInterceptorReq: { type: "boolean", default: false, doc: "Add the request (messages) to access lines." },
  enableAccessInterceptorRes: { type: "boolean", default: false, doc: "Add the response to access lines." },
  enableMetricInterceptor: { type: "boolean", default: true, doc: "Prometheus metrics of every call." },
  enableTraceInterceptor: { type: "boolean", default: true, doc: "Carry W3C trace context in message headers." },
  clientID: { type: "string", doc: "client.id of every client; producers and readers may override it. Beyond the Go original." },
  statisticsInterval: {
    type: "duration",
    default: 5 * SECOND,
    doc: "How often each client reports librdkafka statistics (lag, group, broker and queue metrics, readiness); 0 turns them off. Beyond the Go original.",
  },
  tls: { type: "object", fields: tlsSchema, doc: "TLS to the brokers. Beyond the Go original." },
  schemaRegistry: {
    type: "object",
    fields: schemaRegistrySchema,
    doc: "The schema registry of valueFormat / keyFormat (Avro, JSON Schema). Beyond the Go original.",
  },
  properties: propertiesField("every client of the component"),
  producers: { type: "map", of: producerSchema, doc: "Named producers: [kafka.producers.<name>]." },
  consumers: { type: "map", of: consumerSchema, doc: "Named consumers: [kafka.consumers.<name>]." },
  consumerGroups: { type: "map", of: readerSchema, doc: "Named consumer groups: [kafka.consumerGroups.<name>]." },
});

/** `kafka.tls`: TLS to the brokers. Beyond the Go original. */
export interface TlsConfig {
  /** Connect with TLS (security.protocol SSL, or SASL_SSL with SASL). Default false. */
  enable: boolean;
  /** PEM file of the CA certificates that sign the brokers' certificates. Default: the system's CAs. */
  caFile?: string;
  /** PEM file of the client certificate, for mutual TLS; needs keyFile. Default: none. */
  certFile?: string;
  /** PEM file of the client private key, for mutual TLS; needs certFile. Default: none. */
  keyFile?: string;
  /** Password of keyFile when it is encrypted. Redacted by {@link redactConfig}. Default: none. */
  keyPassword?: string;
  /** Skip verifying the brokers' certificates and host names (tests only). Default false. */
  insecureSkipVerify: boolean;
}

/** `kafka.producers.<name>`: one producer. Durations are milliseconds. */
export interface ProducerConfig extends ProducerSerdeConfig {
  /** The topic written to; may be left out when every message names its topic. Default: none. */
  topic?: string;
  /** "roundRobin", "hash", "murmur2" or a registered balancer's name. Default "roundRobin". */
  balancer: string;
  /** Tries per message, the first included (librdkafka retries = maxAttempts - 1). Default 10. */
  maxAttempts: number;
  /** Most messages in one batch. Default 100. */
  batchSize: number;
  /** Most bytes in one batch. Default 1048576 (1 MiB). */
  batchBytes: number;
  /**
   * How long a batch waits to fill. Default 5 ms (kafka-go's 1s made every synchronous write wait up to
   * a second); batches still fill under load.
   */
  batchTimeout: number;
  /** How long one broker request may wait for its response. Default 10000. */
  readTimeout: number;
  /** How long a message may take to be delivered, retries included (at least batchTimeout + 1 ms after loading). Default 10000. */
  writeTimeout: number;
  /**
   * 0 none, 1 leader, -1 all in-sync replicas. Default -1. Go ekafka's effective default was 0 (kafka-go's
   * RequireNone, fire-and-forget); this component waits for all replicas unless told otherwise.
   */
  requiredAcks: number;
  /** Return from writeMessages once queued, without waiting for delivery. Default false. */
  async: boolean;
  /** 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. Default 0. */
  compression: number;
  /** Idempotent producer (needs requiredAcks -1). Beyond the Go original. Default false. */
  idempotent: boolean;
  /** client.id of this producer; overrides kafka.clientID. Beyond the Go original. Default: none. */
  clientID?: string;
  /** Raw librdkafka properties, applied after everything else. Beyond the Go original. Default {}. */
  properties: Record<string, string>;
}

/** `kafka.consumers.<name>` and `kafka.consumerGroups.<name>`: one reader. Durations are milliseconds. */
export interface ReaderConfig extends ReaderSerdeConfig {
  /** The topic read from. Exactly one of topic, topics, topicRegex is required. Default: none. */
  topic?: string;
  /** Several topics for one reader (needs groupID). Beyond the Go original. Default []. */
  topics: string[];
  /** A regular expression of topic names (needs groupID). Beyond the Go original. Default: none. */
  topicRegex?: string;
  /** The consumer group; required for consumerGroups, excludes partition for consumers. Default: none. */
  groupID?: string;
  /** consumers only: the one partition read when there is no groupID (0 when unset). Default: none. */
  partition?: number;
  /** Fewest bytes a fetch waits for. Default 1. */
  minBytes: number;
  /** Most bytes fetched per partition in one request. Default 1048576 (1 MiB). */
  maxBytes: number;
  /** Longest a fetch waits for minBytes. Default 10000 (kafka-go's 10s). */
  maxWait: number;
  /** -2 oldest (kafka-go FirstOffset) or -1 newest (LastOffset), for partitions without a committed offset. Default -2. */
  startOffset: number;
  /** Background commit period; 0 commits synchronously in commitMessages. Default 0. */
  commitInterval: number;
  /** Heartbeat period; below sessionTimeout. Default 3000. */
  heartbeatInterval: number;
  /** Member dropped after this long without a heartbeat. Default 30000. */
  sessionTimeout: number;
  /** Rebalance timeout, and (librdkafka) the longest time between reads. At least sessionTimeout. Default 30000. */
  rebalanceTimeout: number;
  /** Wait before rejoining after an error; no librdkafka counterpart. Default 5000. */
  joinGroupBackoff: number;
  /** Group offset retention; -1 leaves it to the broker. No librdkafka counterpart. Default -1. */
  retentionTime: number;
  /** Lag refresh period; negative turns lag reporting off. Default 60000. */
  readLagInterval: number;
  /** Watch for new partitions every partitionWatchInterval. Default false. */
  watchPartitionChanges: boolean;
  /** Partition watch period (with watchPartitionChanges). Default 5000. */
  partitionWatchInterval: number;
  /** First backoff after a fetch error. Default 100. */
  readBackoffMin: number;
  /** Longest backoff after fetch errors. Default 1000. */
  readBackoffMax: number;
  /** Timeout of calls to the group coordinator (commit, committed offsets). Default 5000. */
  timeout: number;
  /** "read_committed" or "read_uncommitted". Beyond the Go original. Default "read_committed". */
  isolationLevel: "read_committed" | "read_uncommitted";
  /** client.id of this reader; overrides kafka.clientID. Beyond the Go original. Default: none. */
  clientID?: string;
  /** Raw librdkafka properties, applied after everything else. Beyond the Go original. Default {}. */
  properties: Record<string, string>;
}

/** The decoded `[kafka]` tree. Durations are milliseconds. */
export interface KafkaConfig {
  /** Bootstrap brokers ("host:port"). Default [] (then `withBrokers(...)` must supply them). */
  brokers: string[];
  /** One readable line per call on stderr. Default false (Go: true, but shown only in Ego development mode). */
  debug: boolean;
  /** "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", or "" for no SASL. Default "". */
  saslMechanism: SaslMechanism;
  /** SASL user name. Default "". */
  saslUserName: string;
  /** SASL password. Redacted by {@link redactConfig}; never put in messages. Default "". */
  saslPassword: string;
  /** The admin client. */
  client: {
    /** Timeout of each admin operation. Default 3000. */
    timeout: number;
  };
  /** Log one access line per call. Default false. */
  enableAccessInterceptor: boolean;
  /** Add the request to access lines. Default false. */
  enableAccessInterceptorReq: boolean;
  /** Add the response to access lines. Default false. */
  enableAccessInterceptorRes: boolean;
  /** Prometheus metrics of every call. Default true (as in Go). */
  enableMetricInterceptor: boolean;
  /** W3C trace context in message headers. Default true (as in Go). */
  enableTraceInterceptor: boolean;
  /** client.id of every client. Beyond the Go original. Default: none (librdkafka's "rdkafka"). */
  clientID?: string;
  /**
   * How often each client reports librdkafka statistics, which feed the lag, group, broker and
   * producer-queue metrics and the governor's readiness; 0 turns them off. Beyond the Go original.
   * Default 5000.
   */
  statisticsInterval: number;
  /** TLS to the brokers. Beyond the Go original. */
  tls: TlsConfig;
  /** The schema registry of valueFormat / keyFormat. Beyond the Go original. */
  schemaRegistry: SchemaRegistrySettings;
  /** Raw librdkafka properties for every client, applied before the per-instance ones. Default {}. */
  properties: Record<string, string>;
  /** Named producers. Default {}. */
  producers: Record<string, ProducerConfig>;
  /** Named consumers. Default {}. */
  consumers: Record<string, ReaderConfig>;
  /** Named consumer groups. Default {}. */
  consumerGroups: Record<string, ReaderConfig>;
}

/** Fields where kafka-go reads 0 as "not set": 0 in the file means the schema default. */
const ZERO_MEANS_DEFAULT = {
  producer: ["maxAttempts", "batchSize", "batchBytes", "batchTimeout", "readTimeout", "writeTimeout"],
  reader: [
    "minBytes",
    "maxBytes",
    "maxWait",
    "startOffset",
    "heartbeatInterval",
    "sessionTimeout",
    "rebalanceTimeout",
    "joinGroupBackoff",
    "retentionTime",
    "readLagInterval",
    "partitionWatchInterval",
    "readBackoffMin",
    "readBackoffMax",
    "timeout",
  ],
  client: ["timeout"],
} as const;

/**
 * Reader durations that must not be negative, because Go refused them too (kafka-go's validation, or a
 * panic when the reader started). Negative values Go accepted are fitted in go-values.ts first.
 */
const NON_NEGATIVE_DURATIONS = {
  reader: [
    "commitInterval",
    "heartbeatInterval",
    "sessionTimeout",
    "rebalanceTimeout",
    "joinGroupBackoff",
    "partitionWatchInterval",
    "readBackoffMin",
    "readBackoffMax",
  ],
} as const;

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
  // Consumers and consumer groups are decoded alike; only their schema and tree differ.
  const fitReaders = (entries: typeof decoded.consumerGroups, schema: typeof readerSchema, tree: "consumers" | "consumerGroups") =>
    mapEntries(entries, (r, name) =>
      fitReader(withZeroDefaults(r, schema, ZERO_MEANS_DEFAULT.reader), schemaDefaults(schema), at(tree, name), report),
    );
  const config: KafkaConfig = {
    ...decoded,
    saslMechanism: canonicalSaslMechanism(decoded.saslMechanism, at("saslMechanism")),
    client: withZeroDefaults(decoded.client, kafkaSchema.client.fields, ZERO_MEANS_DEFAULT.client),
    producers: mapEntries(decoded.producers, (p, name) =>
      fitProducer(
        withZeroDefaults(p, producerSchema, ZERO_MEANS_DEFAULT.producer),
        schemaDefaults(producerSchema),
        at("producers", name),
        report,
      ),
    ),
    consumers: fitReaders(decoded.consumers, consumerSchema, "consumers"),
    consumerGroups: fitReaders(decoded.consumerGroups, readerSchema, "consumerGroups"),
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
    const entries = Object.entries<ReaderSerdeConfig>(config[tree]);
    for (const [name, entry] of entries)
      checkSerdeConfig(entry, at(tree, name), config.schemaRegistry, at("schemaRegistry"), tree === "producers");
  }
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

/** What secrets are replaced with by {@link redactConfig}. */
export const REDACTED = "******";

/**
 * A copy of the config that is safe to log: the SASL password, the TLS key password, the schema
 * registry's password and every raw
 * property whose name contains "password" or "secret" are replaced by {@link REDACTED} (empty values
 * stay empty, so a log still shows that none was set).
 */
export function redactConfig(config: KafkaConfig): KafkaConfig {
  return {
    ...config,
    brokers: [...config.brokers],
    client: { ...config.client },
    saslPassword: redact(config.saslPassword),
    tls: config.tls.keyPassword === undefined ? { ...config.tls } : { ...config.tls, keyPassword: redact(config.tls.keyPassword) },
    schemaRegistry:
      config.schemaRegistry.password === undefined
        ? { ...config.schemaRegistry }
        : { ...config.schemaRegistry, password: redact(config.schemaRegistry.password) },
    properties: redactProperties(config.properties),
    producers: mapEntries(config.producers, (p) => ({ ...p, properties: redactProperties(p.properties) })),
    consumers: mapEntries(config.consumers, (r) => ({ ...r, topics: [...r.topics], properties: redactProperties(r.properties) })),
    consumerGroups: mapEntries(config.consumerGroups, (r) => ({
      ...r,
      topics: [...r.topics],
      properties: redactProperties(r.properties),
    })),
  };
}

/** True for a raw property whose value must not be shown (its name mentions a password or secret). */
export function isSecretProperty(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.includes("password") || lower.includes("secret");
}

function redact(secret: string): string {
  return secret === "" ? "" : REDACTED;
}

function redactProperties(properties: Record<string, string>): Record<string, string> {
  return mapEntries(properties, (value, name) => (isSecretProperty(name) ? redact(value) : value));
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
  if (producer.idempotent && producer.maxAttempts < 2) {
    throw ConfigError.atKey(
      key("maxAttempts"),
      `must be at least 2 when idempotent = true (retries are what it protects), found ${producer.maxAttempts}`,
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
  checkNonNegative(reader, NON_NEGATIVE_DURATIONS.reader, keyPath);
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

/** The default of each field that has one. */
function schemaDefaults(schema: Schema): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(schema)) if ("default" in spec) defaults[field] = spec.default;
  return defaults;
}

function withZeroDefaults<T extends object>(entry: T, schema: Schema, fields: readonly string[]): T {
  const copy: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  for (const field of fields) {
    const spec = schema[field];
    if (copy[field] === 0 && spec !== undefined && "default" in spec) copy[field] = spec.default;
  }
  return copy as T;
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
export function kafkaFieldSpec(key: string): FieldSpec | undefined {
  let schema: Schema | undefined = kafkaSchema;
  let spec: FieldSpec | undefined;
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
