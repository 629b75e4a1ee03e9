import { producerSerdeReferenceRows, readerSerdeReferenceRows, schemaRegistryReferenceRows } from "./schema-registry/config.js";
import { kafkaFieldSpec, type KafkaConfig, type ProducerConfig, type ReaderConfig } from "./config.js";
import { ConfigError } from "./core/errors.js";
import type { FieldSpec } from "./core/schema.js";
import { LIBRDKAFKA_RANGES } from "./librdkafka-ranges.js";

// The one place where our config becomes librdkafka configuration. Each typed key has a row saying
// which librdkafka property it sets and how its value converts, or that it has no librdkafka
// counterpart and why. The rows drive producerProperties/consumerProperties/adminProperties, and
// `mappingTable` (the same rows, for the README's config reference and the tests).

/** A librdkafka property value as the client constructor takes it. */
export type PropertyValue = string | number | boolean;

/** librdkafka property name → value. */
export type LibrdkafkaProperties = Record<string, PropertyValue>;

/** One row of the config reference: a key of the `[kafka]` tree and what it becomes in librdkafka. */
export interface MappingRow {
  /** Key under `[kafka]`, with `<name>` for user-chosen names: `producers.<name>.compression`. */
  key: string;
  /** The key's type as written in the file, e.g. `duration`, `integer (0, 1, 2, 3, 4)`. */
  type: string;
  /** The default, as it would be written in the file (`"1s"`, `-2`, `""`), or `—` when there is none. */
  default: string;
  /** The librdkafka property the key sets, or null when it has none (then `note` says what uses the key). */
  librdkafka: string | null;
  /** How the value converts, when it applies, or what the key is used for instead. */
  note: string;
}

/** Where the raw `properties` tables and range errors point, e.g. `kafka` and `kafka.producers.p1`. */
export interface PropertiesContext {
  /** Key path of the component's tree. Default `"kafka"`. */
  componentKey?: string;
  /** Key path of the instance (`kafka.producers.p1`). Default `<componentKey>.producers.<name>` etc. */
  instanceKey?: string;
}

/** How one key becomes (or does not become) one librdkafka property. */
interface Mapping<Source> {
  /** Key relative to the table the source was read from (`compression`, `tls.caFile`). */
  key: string;
  librdkafka: string | null;
  note: string;
  /** The property value for this source, or undefined to leave the property unset. */
  value?: (source: Source) => PropertyValue | undefined;
  /** librdkafka's accepted range for numeric values; a value outside it is reported against our key. */
  range?: readonly [number, number];
  /** Reader rows only: the one reader tree the key exists in. */
  only?: "consumers" | "consumerGroups";
}

/** librdkafka wants whole milliseconds; a sub-millisecond Go duration ("1500us") rounds up, never to 0. */
const wholeMilliseconds = (ms: number): number => Math.ceil(ms);

const COMPRESSION_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

/**
 * The group.id of a consumer that reads one partition without a group. librdkafka's KafkaConsumer
 * refuses to start without a group.id (`"group.id" must be configured`); the reader only assigns
 * partitions, so it never joins this group, and with auto-commit off it never commits to it.
 */
export const PARTITION_READER_GROUP_ID = "ekafka-partition-reader";

const inGroup = (reader: ReaderConfig): boolean => reader.groupID !== undefined;
const whenGroup =
  (convert: (reader: ReaderConfig) => PropertyValue | undefined) =>
  (reader: ReaderConfig): PropertyValue | undefined =>
    inGroup(reader) ? convert(reader) : undefined;

/** SASL and TLS together decide the protocol: SASL_SSL, SASL_PLAINTEXT, SSL, or librdkafka's plaintext. */
function securityProtocol(kafka: KafkaConfig): string | undefined {
  const sasl = kafka.saslMechanism !== "";
  if (sasl) return kafka.tls.enable ? "sasl_ssl" : "sasl_plaintext";
  return kafka.tls.enable ? "ssl" : undefined;
}

const withSasl = (value: (kafka: KafkaConfig) => string) => (kafka: KafkaConfig) => (kafka.saslMechanism === "" ? undefined : value(kafka));
const withTls = (value: (kafka: KafkaConfig) => PropertyValue | undefined) => (kafka: KafkaConfig) =>
  kafka.tls.enable ? value(kafka) : undefined;

const INTERCEPTOR_NOTE = "No librdkafka property: switches one of our interceptors.";
const RAW_PROPERTIES_NOTE = "Each entry is passed to librdkafka as is, after the typed keys (so it overrides them).";

const clientMappings: ReadonlyArray<Mapping<KafkaConfig>> = [
  {
    key: "brokers",
    librdkafka: "bootstrap.servers",
    note: "Joined with commas.",
    value: (k) => (k.brokers.length === 0 ? undefined : k.brokers.join(",")),
  },
  {
    key: "debug",
    librdkafka: null,
    note: "No librdkafka property: turns on our debug interceptor. librdkafka's own `debug` contexts can be set in `properties`.",
  },
  {
    key: "saslMechanism",
    librdkafka: "sasl.mechanisms",
    note: "Set when not empty.",
    value: withSasl((k) => k.saslMechanism),
  },
  {
    key: "saslMechanism",
    librdkafka: "security.protocol",
    note: "sasl_plaintext, or sasl_ssl with tls.enable.",
    value: securityProtocol,
  },
  { key: "saslUserName", librdkafka: "sasl.username", note: "Set with saslMechanism.", value: withSasl((k) => k.saslUserName) },
  { key: "saslPassword", librdkafka: "sasl.password", note: "Set with saslMechanism.", value: withSasl((k) => k.saslPassword) },
  {
    key: "client.timeout",
    librdkafka: null,
    note: "No librdkafka property: the timeout client() gives each admin operation.",
  },
  { key: "enableAccessInterceptor", librdkafka: null, note: INTERCEPTOR_NOTE },
  { key: "enableAccessInterceptorReq", librdkafka: null, note: INTERCEPTOR_NOTE },
  { key: "enableAccessInterceptorRes", librdkafka: null, note: INTERCEPTOR_NOTE },
  { key: "enableMetricInterceptor", librdkafka: null, note: INTERCEPTOR_NOTE },
  { key: "enableTraceInterceptor", librdkafka: null, note: INTERCEPTOR_NOTE },
  { key: "clientID", librdkafka: "client.id", note: "Producers and readers may override it.", value: (k) => k.clientID },
  {
    key: "tls.enable",
    librdkafka: "security.protocol",
    note: "ssl, or sasl_ssl with saslMechanism.",
    value: securityProtocol,
  },
  { key: "tls.caFile", librdkafka: "ssl.ca.location", note: "With tls.enable.", value: withTls((k) => k.tls.caFile) },
  {
    key: "tls.certFile",
    librdkafka: "ssl.certificate.location",
    note: "With tls.enable.",
    value: withTls((k) => k.tls.certFile),
  },
  { key: "tls.keyFile", librdkafka: "ssl.key.location", note: "With tls.enable.", value: withTls((k) => k.tls.keyFile) },
  {
    key: "tls.keyPassword",
    librdkafka: "ssl.key.password",
    note: "With tls.enable.",
    value: withTls((k) => k.tls.keyPassword),
  },
  {
    key: "tls.insecureSkipVerify",
    librdkafka: "enable.ssl.certificate.verification",
    note: "true sets it to false.",
    value: withTls((k) => (k.tls.insecureSkipVerify ? false : undefined)),
  },
  {
    key: "tls.insecureSkipVerify",
    librdkafka: "ssl.endpoint.identification.algorithm",
    note: 'true sets it to "none" (no host name check), as Go\'s InsecureSkipVerify does.',
    value: withTls((k) => (k.tls.insecureSkipVerify ? "none" : undefined)),
  },
  { key: "properties", librdkafka: null, note: `${RAW_PROPERTIES_NOTE} Applies to every client; per-instance tables come after it.` },
  ...schemaRegistryReferenceRows,
];

/** Producers and readers report statistics (lag, queue, broker metrics); the admin client has no use for them. */
const statisticsMappings: ReadonlyArray<Mapping<KafkaConfig>> = [
  {
    key: "statisticsInterval",
    librdkafka: "statistics.interval.ms",
    note:
      "Milliseconds, for producers and readers; 0 turns statistics off (then the lag, group, broker and queue metrics stay " +
      "empty and readiness cannot see broker connections).",
    value: (k) => wholeMilliseconds(k.statisticsInterval),
    range: [0, 86_400_000],
  },
];

const producerMappings: ReadonlyArray<Mapping<ProducerConfig>> = [
  { key: "topic", librdkafka: null, note: "No librdkafka property: the topic writeMessages sends to." },
  {
    key: "balancer",
    librdkafka: null,
    note: "No librdkafka property: our balancer picks each message's partition, so librdkafka's partitioner is not used.",
  },
  {
    key: "maxAttempts",
    librdkafka: "message.send.max.retries",
    note: "maxAttempts - 1: kafka-go counts the first try, librdkafka counts only retries.",
    value: (p) => p.maxAttempts - 1,
    range: LIBRDKAFKA_RANGES["message.send.max.retries"],
  },
  {
    key: "batchSize",
    librdkafka: "batch.num.messages",
    note: "As is.",
    value: (p) => p.batchSize,
    range: LIBRDKAFKA_RANGES["batch.num.messages"],
  },
  { key: "batchBytes", librdkafka: "batch.size", note: "As is.", value: (p) => p.batchBytes, range: LIBRDKAFKA_RANGES["batch.size"] },
  {
    key: "batchTimeout",
    librdkafka: "linger.ms",
    note: "Milliseconds.",
    value: (p) => wholeMilliseconds(p.batchTimeout),
    range: LIBRDKAFKA_RANGES["linger.ms"],
  },
  {
    key: "readTimeout",
    librdkafka: "socket.timeout.ms",
    note: "Milliseconds: how long one request waits for the broker's response.",
    value: (p) => wholeMilliseconds(p.readTimeout),
    range: LIBRDKAFKA_RANGES["socket.timeout.ms"],
  },
  {
    key: "writeTimeout",
    librdkafka: "message.timeout.ms",
    note:
      "Milliseconds: the whole delivery, retries included, after which the write fails. (kafka-go applies it to " +
      "each attempt; librdkafka bounds a message's whole delivery, which is what a caller waits on.)",
    value: (p) => wholeMilliseconds(p.writeTimeout),
    range: LIBRDKAFKA_RANGES["message.timeout.ms"],
  },
  { key: "requiredAcks", librdkafka: "acks", note: "-1 (all), 0 or 1, as is.", value: (p) => p.requiredAcks },
  {
    key: "async",
    librdkafka: null,
    note: "No librdkafka property: writeMessages resolves without waiting for delivery reports.",
  },
  {
    key: "compression",
    librdkafka: "compression.codec",
    note: "0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.",
    value: (p) => COMPRESSION_CODECS[p.compression],
  },
  { key: "idempotent", librdkafka: "enable.idempotence", note: "As is.", value: (p) => p.idempotent },
  { key: "clientID", librdkafka: "client.id", note: "Overrides kafka.clientID.", value: (p) => p.clientID },
  { key: "properties", librdkafka: null, note: RAW_PROPERTIES_NOTE },
  ...producerSerdeReferenceRows,
];

const metadataRefreshWhenWatching = (r: ReaderConfig): number | undefined =>
  r.watchPartitionChanges ? wholeMilliseconds(r.partitionWatchInterval) : undefined;

const readerMappings: ReadonlyArray<Mapping<ReaderConfig>> = [
  { key: "topic", librdkafka: null, note: "No librdkafka property: the topic subscribed to or assigned." },
  { key: "topics", librdkafka: null, note: "No librdkafka property: the topics subscribed to." },
  { key: "topicRegex", librdkafka: null, note: 'No librdkafka property: subscribed to as "^<regex>".' },
  {
    key: "groupID",
    librdkafka: "group.id",
    note:
      `As is. A consumer without groupID (one partition) gets "${PARTITION_READER_GROUP_ID}": librdkafka's consumer ` +
      "cannot be created without a group.id; it never joins that group and never commits to it.",
    value: (r) => r.groupID ?? PARTITION_READER_GROUP_ID,
  },
  {
    key: "partition",
    librdkafka: null,
    note: "No librdkafka property: the partition assigned (without a group).",
    only: "consumers",
  },
  { key: "minBytes", librdkafka: "fetch.min.bytes", note: "As is.", value: (r) => r.minBytes, range: LIBRDKAFKA_RANGES["fetch.min.bytes"] },
  {
    key: "maxBytes",
    librdkafka: "max.partition.fetch.bytes",
    note:
      "As is: kafka-go fetches one partition per request, so its limit is a per-partition one. " +
      "fetch.max.bytes (per request) keeps librdkafka's default.",
    value: (r) => r.maxBytes,
    range: LIBRDKAFKA_RANGES["max.partition.fetch.bytes"],
  },
  {
    key: "maxWait",
    librdkafka: "fetch.wait.max.ms",
    note: "Milliseconds.",
    value: (r) => wholeMilliseconds(r.maxWait),
    range: LIBRDKAFKA_RANGES["fetch.wait.max.ms"],
  },
  {
    key: "startOffset",
    librdkafka: "auto.offset.reset",
    note: '-2 "earliest", -1 "latest".',
    value: (r) => (r.startOffset === -1 ? "latest" : "earliest"),
  },
  {
    key: "commitInterval",
    librdkafka: "auto.commit.interval.ms",
    note:
      "With a group: commitInterval, or 1000 when it is 0. librdkafka always auto-commits the offsets " +
      "commitMessages stores; with 0, commitMessages also commits synchronously before it returns.",
    value: whenGroup((r) => (r.commitInterval > 0 ? wholeMilliseconds(r.commitInterval) : 1000)),
    range: LIBRDKAFKA_RANGES["auto.commit.interval.ms"],
  },
  {
    key: "heartbeatInterval",
    librdkafka: "heartbeat.interval.ms",
    note: "Milliseconds, with a group.",
    value: whenGroup((r) => wholeMilliseconds(r.heartbeatInterval)),
    range: LIBRDKAFKA_RANGES["heartbeat.interval.ms"],
  },
  {
    key: "sessionTimeout",
    librdkafka: "session.timeout.ms",
    note: "Milliseconds, with a group.",
    value: whenGroup((r) => wholeMilliseconds(r.sessionTimeout)),
    range: LIBRDKAFKA_RANGES["session.timeout.ms"],
  },
  {
    key: "rebalanceTimeout",
    librdkafka: "max.poll.interval.ms",
    note:
      "Milliseconds, with a group. librdkafka sends max.poll.interval.ms as the JoinGroup rebalance timeout; it " +
      "also leaves the group when the application reads nothing for that long, so raise it for slow handlers.",
    value: whenGroup((r) => wholeMilliseconds(r.rebalanceTimeout)),
    range: LIBRDKAFKA_RANGES["max.poll.interval.ms"],
  },
  {
    key: "joinGroupBackoff",
    librdkafka: null,
    note: "No librdkafka counterpart: librdkafka rejoins a group on its own schedule. Accepted for compatibility.",
  },
  {
    key: "retentionTime",
    librdkafka: null,
    note: "No librdkafka counterpart: modern brokers ignore a client-side retention; offsets.retention.minutes applies.",
  },
  { key: "readLagInterval", librdkafka: null, note: "No librdkafka property, and nothing to refresh: accepted for Go files, ignored." },
  {
    key: "watchPartitionChanges",
    librdkafka: "topic.metadata.refresh.interval.ms",
    note:
      "true sets it to partitionWatchInterval. librdkafka always notices new partitions on its metadata refresh " +
      "(every 5 min by default); watching only makes that more frequent.",
    value: metadataRefreshWhenWatching,
  },
  {
    key: "partitionWatchInterval",
    librdkafka: "topic.metadata.refresh.interval.ms",
    note: "Milliseconds, with watchPartitionChanges = true.",
    value: metadataRefreshWhenWatching,
    range: LIBRDKAFKA_RANGES["topic.metadata.refresh.interval.ms"],
  },
  {
    key: "readBackoffMin",
    librdkafka: "retry.backoff.ms",
    note: "Milliseconds: first backoff of a retried request; grows exponentially up to readBackoffMax, as in kafka-go.",
    value: (r) => wholeMilliseconds(r.readBackoffMin),
    range: LIBRDKAFKA_RANGES["retry.backoff.ms"],
  },
  {
    key: "readBackoffMin",
    librdkafka: "fetch.error.backoff.ms",
    note: "Milliseconds: wait before fetching a partition again after a fetch error.",
    value: (r) => wholeMilliseconds(r.readBackoffMin),
    range: LIBRDKAFKA_RANGES["fetch.error.backoff.ms"],
  },
  {
    key: "readBackoffMax",
    librdkafka: "retry.backoff.max.ms",
    note: "Milliseconds: longest backoff of a retried request.",
    value: (r) => wholeMilliseconds(r.readBackoffMax),
    range: LIBRDKAFKA_RANGES["retry.backoff.max.ms"],
  },
  {
    key: "timeout",
    librdkafka: null,
    note: "No librdkafka property: the timeout our code gives coordinator calls (commit, committed offsets, offset lookups).",
  },
  { key: "isolationLevel", librdkafka: "isolation.level", note: "As is.", value: (r) => r.isolationLevel },
  { key: "clientID", librdkafka: "client.id", note: "Overrides kafka.clientID.", value: (r) => r.clientID },
  { key: "properties", librdkafka: null, note: RAW_PROPERTIES_NOTE },
  ...readerSerdeReferenceRows,
];

/**
 * Properties our code depends on, set on every client of a kind. A raw `properties` table may not change
 * them: the component would silently misbehave (lost delivery reports, offsets committed before the
 * handler ran).
 */
export const managedProperties = {
  /** Delivery reports are how writeMessages learns that a message was acknowledged. */
  producer: { dr_cb: true },
  /** End-of-partition events are not part of our API. */
  reader: { "enable.partition.eof": false },
  /**
   * Group members commit in the background what commitMessages stored, never what was merely fetched
   * (at-least-once): auto-commit on, auto-store off.
   */
  group: { "enable.auto.commit": true, "enable.auto.offset.store": false },
  /** A reader without a group commits nothing: it has no group of its own (see PARTITION_READER_GROUP_ID). */
  partitionReader: { "enable.auto.commit": false, "enable.auto.offset.store": false },
} as const satisfies Record<string, LibrdkafkaProperties>;

/**
 * librdkafka defaults this component changes, below the typed keys and raw properties (either may set
 * them). librdkafka allows a million requests in flight per broker connection; with acks=all and small
 * batches they queue up behind each other and latency grows with load. 5 is the Java client's default
 * and the most an idempotent producer may use.
 */
export const changedDefaults = {
  producer: { "max.in.flight.requests.per.connection": 5 },
} as const satisfies Record<string, LibrdkafkaProperties>;

/** The librdkafka configuration of a producer. Raw `properties` come last: the component's, then the producer's. */
export function producerProperties(kafka: KafkaConfig, producer: ProducerConfig, context: PropertiesContext = {}): LibrdkafkaProperties {
  const componentKey = context.componentKey ?? "kafka";
  const instanceKey = context.instanceKey ?? `${componentKey}.producers.<name>`;
  return assemble({
    typed: {
      ...changedDefaults.producer,
      ...apply(clientMappings, kafka, componentKey),
      ...apply(statisticsMappings, kafka, componentKey),
      ...apply(producerMappings, producer, instanceKey),
    },
    managed: managedProperties.producer,
    componentRaw: kafka.properties,
    instanceRaw: producer.properties,
    componentKey,
    instanceKey,
  });
}

/**
 * The librdkafka configuration of a consumer or consumer group member. Group-only properties (heartbeats,
 * session, commit interval) are set when the reader has a groupID; a reader without one gets a placeholder
 * group.id and auto-commit off. Raw `properties` come last.
 */
export function consumerProperties(kafka: KafkaConfig, reader: ReaderConfig, context: PropertiesContext = {}): LibrdkafkaProperties {
  const componentKey = context.componentKey ?? "kafka";
  const instanceKey = context.instanceKey ?? `${componentKey}.consumers.<name>`;
  return assemble({
    typed: {
      ...apply(clientMappings, kafka, componentKey),
      ...apply(statisticsMappings, kafka, componentKey),
      ...apply(readerMappings, reader, instanceKey),
    },
    managed: { ...managedProperties.reader, ...(inGroup(reader) ? managedProperties.group : managedProperties.partitionReader) },
    componentRaw: kafka.properties,
    instanceRaw: reader.properties,
    componentKey,
    instanceKey,
  });
}

/** The librdkafka configuration of the admin client: connection, security, and the component's raw properties. */
export function adminProperties(kafka: KafkaConfig, context: Pick<PropertiesContext, "componentKey"> = {}): LibrdkafkaProperties {
  const componentKey = context.componentKey ?? "kafka";
  return assemble({
    typed: apply(clientMappings, kafka, componentKey),
    managed: {},
    componentRaw: kafka.properties,
    instanceRaw: {},
    componentKey,
    instanceKey: componentKey,
  });
}

function apply<Source>(mappings: ReadonlyArray<Mapping<Source>>, source: Source, keyPath: string): LibrdkafkaProperties {
  const properties: LibrdkafkaProperties = {};
  for (const mapping of mappings) {
    if (mapping.librdkafka === null || mapping.value === undefined) continue;
    const value = mapping.value(source);
    if (value === undefined) continue;
    if (mapping.range !== undefined) checkRange(value, mapping, `${keyPath}.${mapping.key}`);
    properties[mapping.librdkafka] = value;
  }
  return properties;
}

function checkRange(value: PropertyValue, mapping: Mapping<never>, keyPath: string): void {
  const [min, max] = mapping.range!;
  if (typeof value !== "number" || (value >= min && value <= max)) return;
  throw ConfigError.atKey(keyPath, `gives librdkafka ${mapping.librdkafka} = ${value}, outside the range it accepts (${min}..${max})`);
}

interface Layers {
  typed: LibrdkafkaProperties;
  managed: LibrdkafkaProperties;
  componentRaw: Record<string, string>;
  instanceRaw: Record<string, string>;
  componentKey: string;
  instanceKey: string;
}

function assemble(layers: Layers): LibrdkafkaProperties {
  refuseManagedOverrides(layers.componentRaw, layers.managed, `${layers.componentKey}.properties`);
  refuseManagedOverrides(layers.instanceRaw, layers.managed, `${layers.instanceKey}.properties`);
  return { ...layers.typed, ...layers.managed, ...layers.componentRaw, ...layers.instanceRaw };
}

function refuseManagedOverrides(raw: Record<string, string>, managed: LibrdkafkaProperties, keyPath: string): void {
  for (const [name, value] of Object.entries(raw)) {
    const ours = managed[name];
    if (ours === undefined || String(ours) === value.trim().toLowerCase()) continue;
    throw ConfigError.atKey(
      `${keyPath}.${name}`,
      `is managed by ekafka and must stay ${String(ours)} (the component relies on it); remove it from the table`,
    );
  }
}

/**
 * librdkafka properties that exist only at topic level (librdkafka 2.15.1, rdkafka_conf.c `_RK_TOPIC`
 * entries without a global twin). Set on the global configuration they land in its default topic
 * configuration, which a topic configuration passed to the client constructor replaces wholesale.
 */
export const TOPIC_LEVEL_PROPERTIES: ReadonlySet<string> = new Set([
  "request.required.acks",
  "acks",
  "request.timeout.ms",
  "message.timeout.ms",
  "delivery.timeout.ms",
  "produce.offset.report",
  "partitioner",
  "compression.level",
  "queuing.strategy",
  "auto.commit.enable",
  "auto.offset.reset",
  "offset.store.path",
  "offset.store.sync.interval.ms",
  "consume.callback.max.messages",
]);

/**
 * Splits properties into the two arguments of the client constructors
 * (`new KafkaConsumer(global, topic)`, `new Producer(global, topic)`).
 *
 * Why it matters: the binding gives librdkafka the topic argument as the default topic configuration,
 * replacing the one the global properties filled in. `new KafkaConsumer({..., "auto.offset.reset":
 * "earliest"}, {})` therefore starts from the newest offset (checked against this build). Pass both
 * halves, or no topic argument at all.
 */
export function splitByLevel(properties: LibrdkafkaProperties): { global: LibrdkafkaProperties; topic: LibrdkafkaProperties } {
  const global: LibrdkafkaProperties = {};
  const topic: LibrdkafkaProperties = {};
  for (const [name, value] of Object.entries(properties)) {
    if (TOPIC_LEVEL_PROPERTIES.has(name)) topic[name] = value;
    else global[name] = value;
  }
  return { global, topic };
}

/**
 * Every key of the `[kafka]` tree with the librdkafka property it sets (several rows when it sets
 * several), or null and what uses it instead. Types and defaults come from the config schema.
 * Consumer and consumer group keys appear once per tree.
 */
export const mappingTable: readonly MappingRow[] = [
  ...clientMappings.map((m) => row(m.key, m)),
  ...statisticsMappings.map((m) => row(m.key, m)),
  ...producerMappings.map((m) => row(`producers.<name>.${m.key}`, m)),
  ...(["consumers", "consumerGroups"] as const).flatMap((tree) =>
    readerMappings.filter((m) => m.only === undefined || m.only === tree).map((m) => row(`${tree}.<name>.${m.key}`, m)),
  ),
];

function row(key: string, mapping: Mapping<never>): MappingRow {
  const spec = kafkaFieldSpec(key);
  if (spec === undefined) throw new Error(`mapping table names ${key}, which the kafka schema does not have`);
  return { key, type: describeType(spec), default: describeDefault(spec), librdkafka: mapping.librdkafka, note: mapping.note };
}

function describeType(spec: FieldSpec): string {
  switch (spec.type) {
    case "number": {
      const kind = spec.integer === true ? "integer" : "number";
      return spec.oneOf === undefined ? kind : `${kind} (${spec.oneOf.join(", ")})`;
    }
    case "stringList":
      return "list of strings";
    case "enum":
      return spec.values.map((value) => JSON.stringify(value)).join(" | ");
    case "properties":
    case "object":
    case "map":
      return "table";
    default:
      return spec.type;
  }
}

function describeDefault(spec: FieldSpec): string {
  if (spec.type === "properties" || spec.type === "map" || spec.type === "object") return "{}";
  if (spec.default === undefined) return "—";
  if (spec.type === "duration") return goDuration(spec.default);
  return JSON.stringify(spec.default);
}

/** Milliseconds as a Go duration string, the way a user would write it in the file. */
function goDuration(ms: number): string {
  if (ms < 0) return `"${ms}" (disabled)`;
  if (ms === 0) return '"0"';
  if (ms % 60_000 === 0) return `"${ms / 60_000}m"`;
  if (ms % 1000 === 0) return `"${ms / 1000}s"`;
  return `"${ms}ms"`;
}
