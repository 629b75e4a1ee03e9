import { ConfigError } from "./core/errors.js";
import type { FieldSpec } from "./core/schema.js";
import {
  fieldTables,
  type AnyField,
  type AnyFields,
  type KafkaConfig,
  type PropertyValue,
  type ProducerConfig,
  type ReaderConfig,
} from "./kafka-fields.js";
import { LIBRDKAFKA_RANGES } from "./librdkafka-ranges.js";

// The one place where our config becomes librdkafka configuration. Which property each typed key sets
// and how its value converts is the key's `librdkafka` entry in the field table (kafka-fields.ts); this
// file applies those entries (producerProperties/consumerProperties/adminProperties), layers the managed
// and raw properties on top, and lists them as `mappingTable` for the README's config reference.

export { PARTITION_READER_GROUP_ID, type PropertyValue } from "./kafka-fields.js";

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

const inGroup = (reader: ReaderConfig): boolean => reader.groupID !== undefined;

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
 * them).
 */
export const changedDefaults = {
  /**
   * librdkafka allows a million requests in flight per broker connection; with acks=all and small
   * batches they queue up behind each other and latency grows with load. 5 is the Java client's default
   * and the most an idempotent producer may use.
   */
  producer: { "max.in.flight.requests.per.connection": 5 },
  /**
   * Once its prefetch queue holds `queued.min.messages` (100,000) messages, librdkafka stops fetching and
   * looks again after `fetch.queue.backoff.ms`, 1000 by default. An application that takes messages faster
   * than 100,000 a second empties the queue well within that second and then waits for the rest of it:
   * small messages were read at about half the rate the client can handle. At 100 ms the queue is looked
   * at again long before it runs dry; what it may hold is unchanged.
   */
  reader: { "fetch.queue.backoff.ms": 100 },
} as const satisfies Record<string, LibrdkafkaProperties>;

/** The librdkafka configuration of a producer. Raw `properties` come last: the component's, then the producer's. */
export function producerProperties(kafka: KafkaConfig, producer: ProducerConfig, context: PropertiesContext = {}): LibrdkafkaProperties {
  const componentKey = context.componentKey ?? "kafka";
  const instanceKey = context.instanceKey ?? `${componentKey}.producers.<name>`;
  return assemble({
    typed: {
      ...changedDefaults.producer,
      ...apply(fieldTables.kafka, kafka, componentKey, "client"),
      ...apply(fieldTables.producer, producer, instanceKey, "client"),
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
      ...changedDefaults.reader,
      ...apply(fieldTables.kafka, kafka, componentKey, "client"),
      ...apply(fieldTables.consumer, reader, instanceKey, "client"),
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
    typed: apply(fieldTables.kafka, kafka, componentKey, "admin"),
    managed: {},
    componentRaw: kafka.properties,
    instanceRaw: {},
    componentKey,
    instanceKey: componentKey,
  });
}

/**
 * The properties the keys of `fields` set for `source` (a nested table's keys read the same source),
 * each checked against librdkafka's range when the table says so. Maps of named entries are not walked.
 */
function apply(fields: AnyFields, source: unknown, keyPath: string, client: "client" | "admin"): LibrdkafkaProperties {
  const properties: LibrdkafkaProperties = {};
  for (const [name, field] of Object.entries(fields)) {
    const key = `${keyPath}.${name}`;
    if (field.type === "object") Object.assign(properties, apply(field.fields, source, key, client));
    for (const mapping of field.librdkafka ?? []) {
      if (client === "admin" && mapping.notAdmin === true) continue;
      const value = mapping.value(source as never);
      if (value === undefined) continue;
      if (mapping.ranged === true) checkRange(value, mapping.name, LIBRDKAFKA_RANGES[mapping.name], key);
      properties[mapping.name] = value;
    }
  }
  return properties;
}

function checkRange(value: PropertyValue, property: string, [min, max]: readonly [number, number], keyPath: string): void {
  if (typeof value !== "number" || (value >= min && value <= max)) return;
  throw ConfigError.atKey(keyPath, `gives librdkafka ${property} = ${value}, outside the range it accepts (${min}..${max})`);
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
 * several), or null and what uses it instead, in the field table's order. Consumer and consumer group
 * keys appear once per tree.
 */
export const mappingTable: readonly MappingRow[] = rowsOf(fieldTables.kafka, "");

function rowsOf(fields: AnyFields, prefix: string): MappingRow[] {
  return Object.entries(fields).flatMap(([name, field]): MappingRow[] => {
    const key = `${prefix}${name}`;
    if (field.type === "object") return rowsOf(field.fields, `${key}.`);
    if (field.type === "map") return rowsOf(field.of, `${key}.<name>.`);
    return rowsOfField(key, field);
  });
}

function rowsOfField(key: string, field: AnyField): MappingRow[] {
  const shown = { key, type: describeType(field), default: describeDefault(field) };
  const mappings = field.librdkafka ?? [];
  if (mappings.length === 0) {
    if (field.note === undefined) throw new Error(`field table: ${key} sets no librdkafka property and has no note saying what uses it`);
    return [{ ...shown, librdkafka: null, note: field.note }];
  }
  return mappings.map((mapping) => ({ ...shown, librdkafka: mapping.name, note: mapping.note }));
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
