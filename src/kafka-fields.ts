import type { Decoded, FieldSpec } from "./core/schema.js";
import type { RangedProperty } from "./librdkafka-ranges.js";
import { SCHEMA_FORMATS } from "./schema-registry/format.js";

// The field table of the `[kafka]` tree: every key is declared here once, with its type, default and
// doc (what `decode` reads), how Go's loader treated its zero and negative values, the librdkafka
// properties it sets and how its value converts, and whether it holds a secret. Everything else is
// derived from these entries: the TypeScript config types (below), the Go-value fitting
// (go-values.ts), the librdkafka mapping (librdkafka-properties.ts), the redaction (secrets.ts) and the
// README's config reference. Adding a key is one entry here plus its test.

/** A librdkafka property value as the client constructor takes it. */
export type PropertyValue = string | number | boolean;

/** One librdkafka property a key sets, and how the key's value becomes the property's value. */
export type PropertyMapping<Source> = {
  /** What the conversion does, for the config reference. */
  note: string;
  /** The property value for this source, or undefined to leave the property unset. */
  value: (source: Source) => PropertyValue | undefined;
  /** Set on producers and readers only, not on the admin client. */
  notAdmin?: true;
} & (
  | {
      /** The librdkafka property name. */
      name: RangedProperty;
      /**
       * librdkafka's range of this property bounds the value: the mapping refuses a value outside it,
       * naming our key, and Go values are first brought inside it (the first ranged property of a key).
       */
      ranged: true;
    }
  | {
      /** The librdkafka property name. */
      name: string;
      /** Not range-checked. */
      ranged?: false;
    }
);

/**
 * How Go ekafka's loader and kafka-go read a numeric value, which a Go file keeps relying on.
 * kafka-go checks little: most values <= 0 mean "not set".
 */
export interface GoRules {
  /** kafka-go reads 0 as "not set": 0 in the file gives the default. */
  zeroIsDefault?: true;
  /** kafka-go reads a negative value as "not set": the default applies, with a warning. */
  negativeIsDefault?: true;
  /** Readers: meaningful only in a group; kafka-go ignored it otherwise (a negative value then gives the default, silently). */
  groupOnly?: true;
  /** Go refused a negative value too (kafka-go's validation, or a panic): a ConfigError. */
  notNegative?: true;
}

/**
 * One key of the table: how it is read (a {@link FieldSpec}), what it becomes in librdkafka, and Go's
 * rules for it. A key with no librdkafka property has a `note` saying what uses it instead.
 */
export type Field<Source> = FieldSpec & {
  /** The librdkafka properties the key sets, in order. */
  librdkafka?: ReadonlyArray<PropertyMapping<Source>>;
  /** For a key without librdkafka properties: what uses it instead. */
  note?: string;
  /** Go's reading of zero and negative values. */
  go?: GoRules;
  /** The value is a secret: redacted wherever the config is shown, and from every text (see secrets.ts). */
  secret?: true;
  /**
   * Readers: with `groupProtocol = "consumer"` (KIP-848) the broker decides this, through the broker
   * setting named here: the key is not sent to librdkafka, and setting it is a ConfigError naming it.
   */
  replacedByBroker?: string;
};

/** A table of fields read from `Source`. */
type Fields<Source> = Readonly<Record<string, Field<Source>>>;

/** What a conversion returns: the property value, or undefined to leave the property unset. */
type Value = PropertyValue | undefined;

/** The SASL mechanisms Go ekafka accepts (`saslMechanism`); "" means no SASL. */
export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;

/** `saslMechanism` after decoding: one of {@link SASL_MECHANISMS} in canonical spelling, or "" for none. */
export type SaslMechanism = "" | (typeof SASL_MECHANISMS)[number];

/** kafka-go's `FirstOffset`: start from the oldest message when the group has no committed offset. */
export const FIRST_OFFSET = -2;
/** kafka-go's `LastOffset`: start from the newest message when the group has no committed offset. */
export const LAST_OFFSET = -1;

/**
 * The group.id of a consumer that reads one partition without a group. librdkafka's KafkaConsumer
 * refuses to start without a group.id (`"group.id" must be configured`); the reader only assigns
 * partitions, so it never joins this group, and with auto-commit off it never commits to it.
 */
export const PARTITION_READER_GROUP_ID = "ekafka-partition-reader";

const SECOND = 1000;
const MEGABYTE = 1_048_576;
const COMPRESSION_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
/** connections.max.idle.ms of a transactional producer (see transactionalID's mapping for why). */
const TRANSACTIONAL_IDLE_MS = 5 * SECOND;
/** retry.backoff.ms of a transactional producer (see transactionalID's mapping for why). */
const TRANSACTIONAL_RETRY_BACKOFF_MS = 20;

/** librdkafka wants whole milliseconds; a sub-millisecond Go duration ("1500us") rounds up, never to 0. */
const wholeMilliseconds = (ms: number): number => Math.ceil(ms);

const INTERCEPTOR_NOTE = "No librdkafka property: switches one of our interceptors.";
const RAW_PROPERTIES_NOTE = "Each entry is passed to librdkafka as is, after the typed keys (so it overrides them).";

/** The raw librdkafka property table of one level (component, producer or reader). */
const propertiesField = <const Owner extends string>(owner: Owner, note: string) =>
  ({
    type: "properties",
    // One template literal, so the doc stays a literal type that the API reference can read.
    doc: `Raw librdkafka properties for ${owner}, applied last so they override the typed keys (e.g. \`"linger.ms" = 5\`). Beyond the Go original.`,
    note,
  }) as const;

// ---- [kafka] and [kafka.tls]: read from the whole KafkaConfig ----

/** SASL and TLS together decide the protocol: SASL_SSL, SASL_PLAINTEXT, SSL, or librdkafka's plaintext. */
function securityProtocol(kafka: KafkaConfig): string | undefined {
  const sasl = kafka.saslMechanism !== "";
  if (sasl) return kafka.tls.enable ? "sasl_ssl" : "sasl_plaintext";
  return kafka.tls.enable ? "ssl" : undefined;
}

const withSasl =
  (value: (kafka: KafkaConfig) => Value) =>
  (kafka: KafkaConfig): PropertyValue | undefined =>
    kafka.saslMechanism === "" ? undefined : value(kafka);
const withTls =
  (value: (kafka: KafkaConfig) => PropertyValue | undefined) =>
  (kafka: KafkaConfig): PropertyValue | undefined =>
    kafka.tls.enable ? value(kafka) : undefined;

const tlsFields = {
  enable: {
    type: "boolean",
    default: false,
    doc: "Connect with TLS (security.protocol SSL, or SASL_SSL with SASL).",
    librdkafka: [{ name: "security.protocol", note: "ssl, or sasl_ssl with saslMechanism.", value: securityProtocol }],
  },
  caFile: {
    type: "string",
    doc: "PEM file of the CA certificates that sign the brokers' certificates.",
    librdkafka: [{ name: "ssl.ca.location", note: "With tls.enable.", value: withTls((k: KafkaConfig): Value => k.tls.caFile) }],
  },
  certFile: {
    type: "string",
    doc: "PEM file of the client certificate (mutual TLS); needs keyFile.",
    librdkafka: [{ name: "ssl.certificate.location", note: "With tls.enable.", value: withTls((k: KafkaConfig): Value => k.tls.certFile) }],
  },
  keyFile: {
    type: "string",
    doc: "PEM file of the client private key (mutual TLS); needs certFile.",
    librdkafka: [{ name: "ssl.key.location", note: "With tls.enable.", value: withTls((k: KafkaConfig): Value => k.tls.keyFile) }],
  },
  keyPassword: {
    type: "string",
    doc: "Password of keyFile, if it is encrypted. Never logged.",
    secret: true,
    librdkafka: [{ name: "ssl.key.password", note: "With tls.enable.", value: withTls((k: KafkaConfig): Value => k.tls.keyPassword) }],
  },
  insecureSkipVerify: {
    type: "boolean",
    default: false,
    doc: "Do not verify the brokers' certificates nor their host names (tests only).",
    librdkafka: [
      {
        name: "enable.ssl.certificate.verification",
        note: "true sets it to false.",
        value: withTls((k: KafkaConfig): Value => (k.tls.insecureSkipVerify ? false : undefined)),
      },
      {
        name: "ssl.endpoint.identification.algorithm",
        note: 'true sets it to "none" (no host name check), as Go\'s InsecureSkipVerify does.',
        value: withTls((k: KafkaConfig): Value => (k.tls.insecureSkipVerify ? "none" : undefined)),
      },
    ],
  },
} as const satisfies Fields<KafkaConfig>;

const adminClientFields = {
  timeout: {
    type: "duration",
    default: 3 * SECOND,
    doc: "Timeout of each admin operation (client()).",
    note: "No librdkafka property: the timeout client() gives each admin operation.",
    go: { zeroIsDefault: true },
  },
} as const satisfies Fields<KafkaConfig>;

// ---- [kafka.schemaRegistry], and the format keys of producers and readers ----

const REGISTRY_NOTE = "No librdkafka property:";

const schemaRegistryFields = {
  url: {
    type: "string",
    doc: 'Base URL of a Confluent-compatible schema registry API, e.g. "http://127.0.0.1:8081/apis/ccompat/v7" (Apicurio) or "http://registry:8081" (Confluent). Needed by valueFormat / keyFormat.',
    note: `${REGISTRY_NOTE} the registry serializers and deserializers ask (@confluentinc/schemaregistry).`,
  },
  userName: { type: "string", doc: "Basic-auth user name of the registry.", note: `${REGISTRY_NOTE} basic auth to the registry.` },
  password: {
    type: "string",
    doc: 'Basic-auth password of the registry; use "${ENV_VAR}" to keep it out of the file. Never logged.',
    note: `${REGISTRY_NOTE} basic auth to the registry.`,
    secret: true,
  },
  timeout: {
    type: "duration",
    default: 5 * SECOND,
    doc: "Longest a registry call (a registration, a schema lookup) may take before the write fails naming the registry's URL.",
    note: `${REGISTRY_NOTE} bounds each registry call; a write that needs the registry fails after it.`,
  },
} as const satisfies Fields<KafkaConfig>;

const formatField = <const Field extends "value" | "key", const Target extends string>(field: Field, target: Target, note: string) =>
  ({
    type: "enum",
    values: SCHEMA_FORMATS,
    // One template literal, so the doc stays a literal type that the API reference can read.
    doc: `"avro", "protobuf" or "json-schema": the ${field} is ${target} in the schema registry's wire format. Unset: bytes and strings.`,
    note: `${REGISTRY_NOTE} ${note}`,
  }) as const;

/** The keys a producer entry has for the schema registry. */
const producerSerdeFields = {
  valueFormat: formatField(
    "value",
    "serialized from the object given to writeMessages",
    "writeMessages serializes the value object (subject <topic>-value).",
  ),
  keyFormat: formatField(
    "key",
    "serialized from the object given to writeMessages",
    "writeMessages serializes the key object (subject <topic>-key).",
  ),
  valueSchemaFile: {
    type: "string",
    doc: "The value's schema: an Avro (.avsc), Protobuf (.proto: its first message is written) or JSON Schema file. Or useLatestVersion.",
    note: `${REGISTRY_NOTE} the value's schema, read when the producer is made.`,
  },
  keySchemaFile: {
    type: "string",
    doc: "The key's schema: an Avro (.avsc), Protobuf (.proto: its first message is written) or JSON Schema file. Or useLatestVersion.",
    note: `${REGISTRY_NOTE} the key's schema, read when the producer is made.`,
  },
  useLatestVersion: {
    type: "boolean",
    default: false,
    doc: "Write with the latest schema registered under <topic>-value / <topic>-key instead of a schema file.",
    note: `${REGISTRY_NOTE} as Confluent's use.latest.version.`,
  },
  autoRegister: {
    type: "boolean",
    default: true,
    doc: "Register the schema file under <topic>-value / <topic>-key when it is not there (as the Confluent serializers do); false: it must be registered already.",
    note: `${REGISTRY_NOTE} as Confluent's auto.register.schemas.`,
  },
} as const satisfies Fields<ProducerConfig>;

/** The keys a consumer or consumer group entry has for the schema registry. */
const readerSerdeFields = {
  valueFormat: formatField(
    "value",
    "decoded into message.data (message.value keeps the bytes)",
    "the value is decoded into message.data before the message is returned.",
  ),
  keyFormat: formatField("key", "decoded into message.keyData (message.key keeps the bytes)", "the key is decoded into message.keyData."),
} as const satisfies Fields<ReaderConfig>;

// ---- [kafka.producers.<name>] ----

const producerFields = {
  topic: {
    type: "string",
    doc: "The topic written to. May be left out when every message names its own topic.",
    note: "No librdkafka property: the topic writeMessages sends to.",
  },
  balancer: {
    type: "string",
    default: "roundRobin",
    doc: 'How a partition is chosen: "roundRobin", "hash" (kafka-go/Sarama FNV-1a), "murmur2" (Java client) or a registered name.',
    note: "No librdkafka property: our balancer picks each message's partition, so librdkafka's partitioner is not used.",
  },
  maxAttempts: {
    type: "number",
    integer: true,
    default: 10,
    doc: "How many times a message is tried before the write fails (first try included).",
    go: { zeroIsDefault: true, negativeIsDefault: true },
    librdkafka: [
      {
        name: "message.send.max.retries",
        ranged: true,
        note: "maxAttempts - 1: kafka-go counts the first try, librdkafka counts only retries.",
        value: (p: ProducerConfig): Value => p.maxAttempts - 1,
      },
    ],
  },
  batchSize: {
    type: "number",
    integer: true,
    default: 100,
    doc: "Most messages sent in one batch.",
    go: { zeroIsDefault: true, negativeIsDefault: true },
    librdkafka: [{ name: "batch.num.messages", ranged: true, note: "As is.", value: (p: ProducerConfig): Value => p.batchSize }],
  },
  batchBytes: {
    type: "number",
    integer: true,
    default: MEGABYTE,
    doc: "Most bytes sent in one batch.",
    go: { zeroIsDefault: true, negativeIsDefault: true },
    librdkafka: [{ name: "batch.size", ranged: true, note: "As is.", value: (p: ProducerConfig): Value => p.batchBytes }],
  },
  batchTimeout: {
    type: "duration",
    default: 5,
    doc:
      "How long a batch waits to fill before it is sent (librdkafka's linger). kafka-go's default is 1s, which " +
      'makes every synchronous write wait up to 1s; this component defaults to "5ms", and batches still fill under load.',
    go: { zeroIsDefault: true, negativeIsDefault: true },
    librdkafka: [
      { name: "linger.ms", ranged: true, note: "Milliseconds.", value: (p: ProducerConfig): Value => wholeMilliseconds(p.batchTimeout) },
    ],
  },
  readTimeout: {
    type: "duration",
    default: 10 * SECOND,
    doc: "How long one request to a broker may wait for its response.",
    go: { zeroIsDefault: true, negativeIsDefault: true },
    librdkafka: [
      {
        name: "socket.timeout.ms",
        ranged: true,
        note: "Milliseconds: how long one request waits for the broker's response.",
        value: (p: ProducerConfig): Value => wholeMilliseconds(p.readTimeout),
      },
    ],
  },
  writeTimeout: {
    type: "duration",
    default: 10 * SECOND,
    doc:
      "How long a message may take to be delivered, retries included; then the write fails. When it is not longer than " +
      "batchTimeout, batchTimeout + writeTimeout is used (with a warning).",
    go: { zeroIsDefault: true, negativeIsDefault: true },
    librdkafka: [
      {
        name: "message.timeout.ms",
        ranged: true,
        note:
          "Milliseconds: the whole delivery, retries included, after which the write fails. (kafka-go applies it to " +
          "each attempt; librdkafka bounds a message's whole delivery, which is what a caller waits on.)",
        value: (p: ProducerConfig): Value => wholeMilliseconds(p.writeTimeout),
      },
    ],
  },
  requiredAcks: {
    type: "number",
    oneOf: [-1, 0, 1],
    default: -1,
    doc:
      "Acknowledgements a write waits for: 0 none (fire-and-forget), 1 the leader, -1 all in-sync replicas. " +
      "Default -1; kafka-go's (so Go ekafka's) default was 0, set 0 explicitly for that.",
    librdkafka: [{ name: "acks", note: "-1 (all), 0 or 1, as is.", value: (p: ProducerConfig): Value => p.requiredAcks }],
  },
  async: {
    type: "boolean",
    default: false,
    doc: "writeMessages returns once the messages are queued, without waiting for delivery (errors are only logged).",
    note: "No librdkafka property: writeMessages resolves without waiting for delivery reports.",
  },
  compression: {
    type: "number",
    integer: true,
    default: 0,
    doc: "Compression codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.",
    librdkafka: [
      {
        name: "compression.codec",
        note: "0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.",
        value: (p: ProducerConfig): Value => COMPRESSION_CODECS[p.compression],
      },
    ],
  },
  idempotent: {
    type: "boolean",
    default: false,
    doc: "Idempotent producer: no duplicates or reordering on retry. Needs requiredAcks = -1. Always on with transactionalID. Beyond the Go original.",
    librdkafka: [
      {
        name: "enable.idempotence",
        note: "As is; true with transactionalID (a transaction needs it).",
        value: (p: ProducerConfig): Value => p.idempotent || p.transactionalID !== undefined,
      },
    ],
  },
  transactionalID: {
    type: "string",
    doc:
      "Makes the producer transactional: writes go through producer.transaction() (see the README's exactly-once " +
      "section), with idempotence on and requiredAcks = -1. Unique per running instance (a second one with the same id " +
      'fences the first): give each replica its own, e.g. "orders-${POD_NAME}". Beyond the Go original.',
    librdkafka: [
      {
        name: "transactional.id",
        note: "As is; librdkafka then turns enable.idempotence on.",
        value: (p: ProducerConfig): Value => p.transactionalID,
      },
      {
        name: "connections.max.idle.ms",
        note:
          `${TRANSACTIONAL_IDLE_MS} with transactionalID (librdkafka's default 0 keeps idle connections): closing an idle ` +
          "connection makes librdkafka look a departed group coordinator up again, where sendOffsetsToTransaction " +
          "otherwise waited for it forever (librdkafka #5511).",
        value: (p: ProducerConfig): Value => (p.transactionalID === undefined ? undefined : TRANSACTIONAL_IDLE_MS),
      },
      {
        name: "retry.backoff.ms",
        note:
          `${TRANSACTIONAL_RETRY_BACKOFF_MS} with transactionalID (librdkafka's default 100): the coordinator answers a transaction's ` +
          "first requests with CONCURRENT_TRANSACTIONS while it completes the previous commit, and sendOffsetsToTransaction " +
          "waits this long (doubling) before asking again; librdkafka itself retries AddPartitionsToTxn after 20 ms.",
        value: (p: ProducerConfig): Value => (p.transactionalID === undefined ? undefined : TRANSACTIONAL_RETRY_BACKOFF_MS),
      },
    ],
  },
  transactionTimeout: {
    type: "duration",
    default: 60 * SECOND,
    doc:
      "With transactionalID: how long the transaction coordinator lets a transaction stay open before it aborts it " +
      "(and fences this producer's open transaction). librdkafka's default. Beyond the Go original.",
    librdkafka: [
      {
        name: "transaction.timeout.ms",
        ranged: true,
        note: "Milliseconds; set only with transactionalID.",
        value: (p: ProducerConfig): Value => (p.transactionalID === undefined ? undefined : wholeMilliseconds(p.transactionTimeout)),
      },
    ],
  },
  clientID: {
    type: "string",
    doc: "client.id for this producer; overrides kafka.clientID. Beyond the Go original.",
    librdkafka: [{ name: "client.id", note: "Overrides kafka.clientID.", value: (p: ProducerConfig): Value => p.clientID }],
  },
  ...producerSerdeFields,
  properties: propertiesField("this producer", RAW_PROPERTIES_NOTE),
} as const satisfies Fields<ProducerConfig>;

// ---- [kafka.consumers.<name>] and [kafka.consumerGroups.<name>] ----

const inGroup = (reader: ReaderConfig): boolean => reader.groupID !== undefined;
const whenGroup =
  (convert: (reader: ReaderConfig) => PropertyValue | undefined) =>
  (reader: ReaderConfig): PropertyValue | undefined =>
    inGroup(reader) ? convert(reader) : undefined;
/** With the classic group protocol only: the consumer protocol (KIP-848) leaves it to the broker. */
const whenClassicGroup =
  (convert: (reader: ReaderConfig) => Value) =>
  (reader: ReaderConfig): Value =>
    inGroup(reader) && reader.groupProtocol === "classic" ? convert(reader) : undefined;
const whenConsumerGroup =
  (convert: (reader: ReaderConfig) => Value) =>
  (reader: ReaderConfig): Value =>
    inGroup(reader) && reader.groupProtocol === "consumer" ? convert(reader) : undefined;

/** The classic protocol's partition assignors librdkafka offers (partition.assignment.strategy). */
export const ASSIGNMENT_STRATEGIES = ["range", "roundrobin", "cooperative-sticky"] as const;

const metadataRefreshWhenWatching = (r: ReaderConfig): number | undefined =>
  r.watchPartitionChanges ? wholeMilliseconds(r.partitionWatchInterval) : undefined;

const readerFields = {
  topic: {
    type: "string",
    doc: "The topic read from. Set exactly one of topic, topics and topicRegex.",
    note: "No librdkafka property: the topic subscribed to or assigned.",
  },
  topics: {
    type: "stringList",
    default: [],
    doc: "Several topics read by one consumer (needs groupID). Beyond the Go original.",
    note: "No librdkafka property: the topics subscribed to.",
  },
  topicRegex: {
    type: "string",
    doc: 'Read every topic whose name matches this regular expression, e.g. "^orders-.*" (needs groupID). Beyond the Go original.',
    note: 'No librdkafka property: subscribed to as "^<regex>".',
  },
  groupID: {
    type: "string",
    doc: "The consumer group. A consumer with a groupID must not set partition.",
    librdkafka: [
      {
        name: "group.id",
        note:
          `As is. A consumer without groupID (one partition) gets "${PARTITION_READER_GROUP_ID}": librdkafka's consumer ` +
          "cannot be created without a group.id; it never joins that group and never commits to it.",
        value: (r: ReaderConfig): Value => r.groupID ?? PARTITION_READER_GROUP_ID,
      },
    ],
  },
  groupInstanceID: {
    type: "string",
    doc:
      'Static membership: a name of this member that stays the same across restarts (e.g. "${HOSTNAME}"), unique in the ' +
      "group. A member restarted within sessionTimeout gets its partitions back without a rebalance. Needs groupID. " +
      "Beyond the Go original.",
    librdkafka: [
      {
        name: "group.instance.id",
        note: "As is, with a group; empty means not set.",
        value: whenGroup((r: ReaderConfig): Value => (r.groupInstanceID?.trim() ? r.groupInstanceID.trim() : undefined)),
      },
    ],
  },
  groupProtocol: {
    type: "enum",
    values: ["classic", "consumer"],
    default: "classic",
    doc:
      '"classic" (every member joins and syncs through the coordinator; what kafka-go speaks) or "consumer", the ' +
      "protocol of KIP-848 (Kafka 4): the broker assigns partitions and rebalances move only what changes. kafka-go " +
      'members cannot share a group with "consumer" members. Assignments are incremental: AssignedPartitions and ' +
      "RevokedPartitions name only what moves. Beyond the Go original.",
    librdkafka: [{ name: "group.protocol", note: "As is, with a group.", value: whenGroup((r: ReaderConfig): Value => r.groupProtocol) }],
  },
  groupRemoteAssignor: {
    type: "enum",
    values: ["uniform", "range"],
    doc: 'With groupProtocol = "consumer": the broker-side assignor, "uniform" or "range"; unset, the broker\'s first (group.consumer.assignors). Beyond the Go original.',
    librdkafka: [
      {
        name: "group.remote.assignor",
        note: 'As is, with groupProtocol = "consumer"; set with "classic" it is a ConfigError.',
        value: whenConsumerGroup((r: ReaderConfig): Value => r.groupRemoteAssignor),
      },
    ],
  },
  assignmentStrategy: {
    type: "stringList",
    default: ["range", "roundrobin"],
    doc:
      'With groupProtocol = "classic": the partition assignors, in order of preference: "range", "roundrobin", or ' +
      '"cooperative-sticky" alone (incremental: rebalances move only what changes, and AssignedPartitions and ' +
      "RevokedPartitions name only that). The default is kafka-go's, so Go members and these agree. " +
      "Beyond the Go original.",
    replacedByBroker: "group.consumer.assignors (choose one with groupRemoteAssignor)",
    librdkafka: [
      {
        name: "partition.assignment.strategy",
        note: 'Joined with commas, with groupProtocol = "classic".',
        value: whenClassicGroup((r: ReaderConfig): Value => r.assignmentStrategy.join(",")),
      },
    ],
  },
  minBytes: {
    type: "number",
    integer: true,
    min: 0,
    default: 1,
    doc: "Fewest bytes a fetch waits for (up to maxWait) before the broker answers.",
    go: { zeroIsDefault: true },
    librdkafka: [{ name: "fetch.min.bytes", ranged: true, note: "As is.", value: (r: ReaderConfig): Value => r.minBytes }],
  },
  maxBytes: {
    type: "number",
    integer: true,
    min: 0,
    default: MEGABYTE,
    doc: "Most bytes fetched per partition in one request; must be at least minBytes.",
    go: { zeroIsDefault: true },
    librdkafka: [
      {
        name: "max.partition.fetch.bytes",
        ranged: true,
        note:
          "As is: kafka-go fetches one partition per request, so its limit is a per-partition one. " +
          "fetch.max.bytes (per request) keeps librdkafka's default.",
        value: (r: ReaderConfig): Value => r.maxBytes,
      },
    ],
  },
  maxWait: {
    type: "duration",
    default: 10 * SECOND,
    doc:
      "Longest a fetch waits for minBytes. With librdkafka one fetch serves all partitions on a broker, so " +
      'a long wait can also delay reading a newly assigned or re-positioned partition; lower it (e.g. "500ms") when that matters.',
    go: { zeroIsDefault: true, negativeIsDefault: true },
    librdkafka: [
      { name: "fetch.wait.max.ms", ranged: true, note: "Milliseconds.", value: (r: ReaderConfig): Value => wholeMilliseconds(r.maxWait) },
    ],
  },
  startOffset: {
    type: "number",
    integer: true,
    default: FIRST_OFFSET,
    doc: "Where to start when there is no committed offset: -2 oldest, -1 newest (the only values a group accepts).",
    go: { zeroIsDefault: true },
    librdkafka: [
      {
        name: "auto.offset.reset",
        note: '-2 "earliest", -1 "latest".',
        value: (r: ReaderConfig): Value => (r.startOffset === -1 ? "latest" : "earliest"),
      },
    ],
  },
  commitInterval: {
    type: "duration",
    default: 0,
    doc: "How often committed messages are flushed to the broker; 0 commits synchronously in commitMessages.",
    go: { groupOnly: true, notNegative: true },
    librdkafka: [
      {
        name: "auto.commit.interval.ms",
        ranged: true,
        note:
          "With a group: commitInterval, or 1000 when it is 0. librdkafka always auto-commits the offsets " +
          "commitMessages stores; with 0, commitMessages also commits synchronously before it returns.",
        value: whenGroup((r: ReaderConfig): Value => (r.commitInterval > 0 ? wholeMilliseconds(r.commitInterval) : 1000)),
      },
    ],
  },
  heartbeatInterval: {
    type: "duration",
    default: 3 * SECOND,
    doc: "How often the member tells the group coordinator it is alive; keep it well below sessionTimeout (about a third).",
    go: { zeroIsDefault: true, groupOnly: true, notNegative: true },
    replacedByBroker: "group.consumer.heartbeat.interval.ms",
    librdkafka: [
      {
        name: "heartbeat.interval.ms",
        ranged: true,
        note: 'Milliseconds, with a group of groupProtocol = "classic".',
        value: whenClassicGroup((r: ReaderConfig): Value => wholeMilliseconds(r.heartbeatInterval)),
      },
    ],
  },
  sessionTimeout: {
    type: "duration",
    default: 30 * SECOND,
    doc: "How long the coordinator waits without a heartbeat before it drops the member.",
    go: { zeroIsDefault: true, groupOnly: true, notNegative: true },
    replacedByBroker: "group.consumer.session.timeout.ms",
    librdkafka: [
      {
        name: "session.timeout.ms",
        ranged: true,
        note: 'Milliseconds, with a group of groupProtocol = "classic".',
        value: whenClassicGroup((r: ReaderConfig): Value => wholeMilliseconds(r.sessionTimeout)),
      },
    ],
  },
  rebalanceTimeout: {
    type: "duration",
    default: 30 * SECOND,
    doc:
      "How long the coordinator waits for members to rejoin during a rebalance; librdkafka also uses it as the longest " +
      "time between two reads before the member leaves the group. When shorter than sessionTimeout, sessionTimeout is used (with a warning).",
    go: { zeroIsDefault: true, groupOnly: true, notNegative: true },
    librdkafka: [
      {
        name: "max.poll.interval.ms",
        ranged: true,
        note:
          "Milliseconds, with a group. librdkafka sends max.poll.interval.ms as the JoinGroup rebalance timeout; it " +
          "also leaves the group when the application reads nothing for that long, so raise it for slow handlers.",
        value: whenGroup((r: ReaderConfig): Value => wholeMilliseconds(r.rebalanceTimeout)),
      },
    ],
  },
  joinGroupBackoff: {
    type: "duration",
    default: 5 * SECOND,
    doc: "Wait before rejoining the group after an error (librdkafka rejoins on its own schedule; kept for compatibility).",
    note: "No librdkafka counterpart: librdkafka rejoins a group on its own schedule. Accepted for compatibility.",
    go: { zeroIsDefault: true, groupOnly: true, notNegative: true },
  },
  retentionTime: {
    type: "duration",
    default: -1,
    doc: "How long the broker keeps the group's offsets; -1 leaves it to the broker (offsets.retention.minutes).",
    note: "No librdkafka counterpart: modern brokers ignore a client-side retention; offsets.retention.minutes applies.",
    go: { zeroIsDefault: true },
  },
  readLagInterval: {
    type: "duration",
    default: 60 * SECOND,
    doc:
      "Accepted and ignored: kafka-go refreshed its Stats().Lag on this interval; here lag() reads the watermarks of the last " +
      "fetch and readLag() asks the partition leaders when called, so nothing refreshes in the background.",
    note: "No librdkafka property, and nothing to refresh: accepted for Go files, ignored.",
    go: { zeroIsDefault: true },
  },
  watchPartitionChanges: {
    type: "boolean",
    default: false,
    doc: "Look for new partitions every partitionWatchInterval and rebalance onto them.",
    librdkafka: [
      {
        name: "topic.metadata.refresh.interval.ms",
        note:
          "true sets it to partitionWatchInterval. librdkafka always notices new partitions on its metadata refresh " +
          "(every 5 min by default); watching only makes that more frequent.",
        value: metadataRefreshWhenWatching,
      },
    ],
  },
  partitionWatchInterval: {
    type: "duration",
    default: 5 * SECOND,
    doc: "How often partition changes are looked for when watchPartitionChanges is on.",
    go: { zeroIsDefault: true, groupOnly: true, notNegative: true },
    librdkafka: [
      {
        name: "topic.metadata.refresh.interval.ms",
        ranged: true,
        note: "Milliseconds, with watchPartitionChanges = true.",
        value: metadataRefreshWhenWatching,
      },
    ],
  },
  readBackoffMin: {
    type: "duration",
    default: 100,
    doc: "First wait before fetching again after an error (it grows up to readBackoffMax).",
    go: { zeroIsDefault: true, notNegative: true },
    librdkafka: [
      {
        name: "retry.backoff.ms",
        ranged: true,
        note: "Milliseconds: first backoff of a retried request; grows exponentially up to readBackoffMax, as in kafka-go.",
        value: (r: ReaderConfig): Value => wholeMilliseconds(r.readBackoffMin),
      },
      {
        name: "fetch.error.backoff.ms",
        ranged: true,
        note: "Milliseconds: wait before fetching a partition again after a fetch error.",
        value: (r: ReaderConfig): Value => wholeMilliseconds(r.readBackoffMin),
      },
    ],
  },
  readBackoffMax: {
    type: "duration",
    default: 1 * SECOND,
    doc: "Longest wait before fetching again after errors.",
    go: { zeroIsDefault: true, notNegative: true },
    librdkafka: [
      {
        name: "retry.backoff.max.ms",
        ranged: true,
        note: "Milliseconds: longest backoff of a retried request.",
        value: (r: ReaderConfig): Value => wholeMilliseconds(r.readBackoffMax),
      },
    ],
  },
  timeout: {
    type: "duration",
    default: 5 * SECOND,
    doc: "Timeout of calls to the group coordinator (commit, committed offsets, offset lookups).",
    note: "No librdkafka property: the timeout our code gives coordinator calls (commit, committed offsets, offset lookups).",
    go: { zeroIsDefault: true, negativeIsDefault: true },
  },
  isolationLevel: {
    type: "enum",
    values: ["read_committed", "read_uncommitted"],
    default: "read_committed",
    doc: "read_committed hides messages of aborted transactions (kafka-go read uncommitted). Beyond the Go original.",
    librdkafka: [{ name: "isolation.level", note: "As is.", value: (r: ReaderConfig): Value => r.isolationLevel }],
  },
  clientID: {
    type: "string",
    doc: "client.id for this reader; overrides kafka.clientID. Beyond the Go original.",
    librdkafka: [{ name: "client.id", note: "Overrides kafka.clientID.", value: (r: ReaderConfig): Value => r.clientID }],
  },
  ...readerSerdeFields,
  properties: propertiesField("this reader", RAW_PROPERTIES_NOTE),
} as const satisfies Fields<ReaderConfig>;

const consumerFields = {
  ...readerFields,
  partition: {
    type: "number",
    integer: true,
    min: 0,
    doc: "Read this one partition (no group); 0 when neither partition nor groupID is set. Not with groupID.",
    note: "No librdkafka property: the partition assigned (without a group).",
  },
} as const satisfies Fields<ReaderConfig>;

// ---- [kafka] ----

/** The `[kafka]` tree, key by key, with every default. Keys match case-insensitively. */
export const kafkaSchema = {
  brokers: {
    type: "stringList",
    default: [],
    doc: 'Bootstrap brokers, ["host:port", …] or "host:port,host:port".',
    librdkafka: [
      {
        name: "bootstrap.servers",
        note: "Joined with commas.",
        value: (k: KafkaConfig): Value => (k.brokers.length === 0 ? undefined : k.brokers.join(",")),
      },
    ],
  },
  debug: {
    type: "boolean",
    default: false,
    doc:
      "One readable line per call on stderr. Go's default is true but it only printed in Ego's development " +
      "mode (EGO_DEBUG); here the default is false.",
    note: "No librdkafka property: turns on our debug interceptor. librdkafka's own `debug` contexts can be set in `properties`.",
  },
  saslMechanism: {
    type: "string",
    default: "",
    doc: 'SASL mechanism: "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"; empty for none.',
    librdkafka: [
      { name: "sasl.mechanisms", note: "Set when not empty.", value: withSasl((k: KafkaConfig): Value => k.saslMechanism) },
      { name: "security.protocol", note: "sasl_plaintext, or sasl_ssl with tls.enable.", value: securityProtocol },
    ],
  },
  saslUserName: {
    type: "string",
    default: "",
    doc: "SASL user name.",
    librdkafka: [{ name: "sasl.username", note: "Set with saslMechanism.", value: withSasl((k: KafkaConfig): Value => k.saslUserName) }],
  },
  saslPassword: {
    type: "string",
    default: "",
    doc: 'SASL password; use "${ENV_VAR}" to keep it out of the file. Never logged.',
    secret: true,
    librdkafka: [{ name: "sasl.password", note: "Set with saslMechanism.", value: withSasl((k: KafkaConfig): Value => k.saslPassword) }],
  },
  client: { type: "object", fields: adminClientFields, doc: "The admin client." },
  enableAccessInterceptor: { type: "boolean", default: false, doc: "Log one access line per call.", note: INTERCEPTOR_NOTE },
  enableAccessInterceptorReq: {
    type: "boolean",
    default: false,
    doc: "Add the request (messages) to access lines.",
    note: INTERCEPTOR_NOTE,
  },
  enableAccessInterceptorRes: { type: "boolean", default: false, doc: "Add the response to access lines.", note: INTERCEPTOR_NOTE },
  enableMetricInterceptor: { type: "boolean", default: true, doc: "Prometheus metrics of every call.", note: INTERCEPTOR_NOTE },
  enableTraceInterceptor: { type: "boolean", default: true, doc: "Carry W3C trace context in message headers.", note: INTERCEPTOR_NOTE },
  clientID: {
    type: "string",
    doc: "client.id of every client; producers and readers may override it. Beyond the Go original.",
    librdkafka: [{ name: "client.id", note: "Producers and readers may override it.", value: (k: KafkaConfig): Value => k.clientID }],
  },
  statisticsInterval: {
    type: "duration",
    default: 5 * SECOND,
    doc: "How often each client reports librdkafka statistics (lag, group, broker and queue metrics, readiness); 0 turns them off. Beyond the Go original.",
    librdkafka: [
      {
        name: "statistics.interval.ms",
        ranged: true,
        notAdmin: true,
        note:
          "Milliseconds, for producers and readers; 0 turns statistics off (then the lag, group, broker and queue metrics stay " +
          "empty and readiness cannot see broker connections).",
        value: (k: KafkaConfig): Value => wholeMilliseconds(k.statisticsInterval),
      },
    ],
  },
  tls: { type: "object", fields: tlsFields, doc: "TLS to the brokers. Beyond the Go original." },
  schemaRegistry: {
    type: "object",
    fields: schemaRegistryFields,
    doc: "The schema registry of valueFormat / keyFormat (Avro, JSON Schema). Beyond the Go original.",
  },
  properties: propertiesField(
    "every client of the component",
    `${RAW_PROPERTIES_NOTE} Applies to every client; per-instance tables come after it.`,
  ),
  producers: { type: "map", of: producerFields, doc: "Named producers: [kafka.producers.<name>]." },
  consumers: { type: "map", of: consumerFields, doc: "Named consumers: [kafka.consumers.<name>]." },
  consumerGroups: { type: "map", of: readerFields, doc: "Named consumer groups: [kafka.consumerGroups.<name>]." },
} as const satisfies Fields<KafkaConfig>;

// ---- The types, derived from the table ----

/**
 * `kafka.tls`: TLS to the brokers. Beyond the Go original.
 *
 * @interface
 */
export type TlsConfig = Decoded<typeof tlsFields>;

/**
 * `kafka.schemaRegistry`: the schema registry of valueFormat / keyFormat. Durations are milliseconds;
 * `password` is a secret (redacted wherever the config is shown).
 *
 * @interface
 */
export type SchemaRegistrySettings = Decoded<typeof schemaRegistryFields>;

/**
 * A reader's formats: `valueFormat` / `keyFormat` of a consumer or consumer group.
 *
 * @interface
 */
export type ReaderSerdeConfig = Decoded<typeof readerSerdeFields>;

/**
 * A producer's formats and schemas.
 *
 * @interface
 */
export type ProducerSerdeConfig = Decoded<typeof producerSerdeFields>;

// ProducerConfig, ReaderConfig and KafkaConfig are interfaces, not type aliases: the table's conversions
// take them as parameters, and only an interface may be named inside the initializer it is derived from.

/** `kafka.producers.<name>`: one producer. Durations are milliseconds; keys without a default may be undefined. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- see above: an alias would be circular
export interface ProducerConfig extends Decoded<typeof producerFields> {}

/**
 * `kafka.consumers.<name>` and `kafka.consumerGroups.<name>`: one reader. Durations are milliseconds;
 * keys without a default may be undefined. `partition` exists only under `consumers`.
 */
export interface ReaderConfig extends Decoded<typeof readerFields>, Partial<Pick<Decoded<typeof consumerFields>, "partition">> {}

/**
 * `kafka.client`: the admin client.
 *
 * @interface
 */
export type AdminClientConfig = Decoded<typeof adminClientFields>;

/** The decoded `[kafka]` tree. Durations are milliseconds. */
export interface KafkaConfig extends Omit<
  Decoded<typeof kafkaSchema>,
  "saslMechanism" | "client" | "tls" | "schemaRegistry" | "producers" | "consumers" | "consumerGroups"
> {
  /** `saslMechanism` in its canonical spelling, or "" for no SASL. */
  saslMechanism: SaslMechanism;
  /** The admin client. */
  client: AdminClientConfig;
  /** TLS to the brokers. */
  tls: TlsConfig;
  /** The schema registry of valueFormat / keyFormat. */
  schemaRegistry: SchemaRegistrySettings;
  /** Named producers. */
  producers: Record<string, ProducerConfig>;
  /** Named consumers. */
  consumers: Record<string, ReaderConfig>;
  /** Named consumer groups. */
  consumerGroups: Record<string, ReaderConfig>;
}

/** The field table of each level, for the code that walks it (fitting, mapping, redaction, reference). */
export const fieldTables = {
  kafka: kafkaSchema,
  producer: producerFields,
  reader: readerFields,
  consumer: consumerFields,
} as const;

/** A field of any level, as the code that walks the table sees it. */
export type AnyField = Field<never>;

/** A table of fields of any level. */
export type AnyFields = Readonly<Record<string, AnyField>>;
