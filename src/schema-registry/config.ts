import { ConfigError } from "../core/errors.js";
import { defineSchema } from "../core/schema.js";
import { joinKeyPath } from "../core/table.js";
import { SCHEMA_FORMATS, type SchemaFormat } from "./format.js";

// The schema registry's config keys, in one place: `kafka.schemaRegistry`, and the format keys that
// producers and readers add to their entries (spread into their schemas in ../config.ts).

/** `kafka.schemaRegistry`. */
export const schemaRegistrySchema = defineSchema({
  url: {
    type: "string",
    doc: 'Base URL of a Confluent-compatible schema registry API, e.g. "http://127.0.0.1:8081/apis/ccompat/v7" (Apicurio) or "http://registry:8081" (Confluent). Needed by valueFormat / keyFormat.',
  },
  userName: { type: "string", doc: "Basic-auth user name of the registry." },
  password: { type: "string", doc: 'Basic-auth password of the registry; use "${ENV_VAR}" to keep it out of the file. Never logged.' },
  timeout: {
    type: "duration",
    default: 5000,
    doc: "Longest a registry call (a registration, a schema lookup) may take before the write fails naming the registry's URL.",
  },
});

const formatField = (field: "value" | "key", target: string) =>
  ({
    type: "enum",
    values: SCHEMA_FORMATS,
    doc: `"avro" or "json-schema": the ${field} is ${target} in the schema registry's wire format. Unset: bytes and strings.`,
  }) as const;

/** The keys a producer entry adds for the schema registry. */
export const producerSerdeSchema = defineSchema({
  valueFormat: formatField("value", "serialized from the object given to writeMessages"),
  keyFormat: formatField("key", "serialized from the object given to writeMessages"),
  valueSchemaFile: { type: "string", doc: "The value's schema: an Avro (.avsc) or JSON Schema file. Or useLatestVersion." },
  keySchemaFile: { type: "string", doc: "The key's schema: an Avro (.avsc) or JSON Schema file. Or useLatestVersion." },
  useLatestVersion: {
    type: "boolean",
    default: false,
    doc: "Write with the latest schema registered under <topic>-value / <topic>-key instead of a schema file.",
  },
  autoRegister: {
    type: "boolean",
    default: true,
    doc: "Register the schema file under <topic>-value / <topic>-key when it is not there (as the Confluent serializers do); false: it must be registered already.",
  },
});

/** The keys a consumer or consumer group entry adds for the schema registry. */
export const readerSerdeSchema = defineSchema({
  valueFormat: formatField("value", "decoded into message.data (message.value keeps the bytes)"),
  keyFormat: formatField("key", "decoded into message.keyData (message.key keeps the bytes)"),
});

/** `kafka.schemaRegistry` after decoding. Durations are milliseconds. */
export interface SchemaRegistrySettings {
  /** The registry API's base URL. Default: none (no registry). */
  url?: string;
  /** Basic-auth user name. Default: none. */
  userName?: string;
  /** Basic-auth password. Redacted by `redactConfig`; never logged. Default: none. */
  password?: string;
  /** Longest a registry call may take. Default 5000. */
  timeout: number;
}

/** A reader's formats: `valueFormat` / `keyFormat` of a consumer or consumer group. */
export interface ReaderSerdeConfig {
  /** The value's format, decoded into `message.data`. Default: none (bytes). */
  valueFormat?: SchemaFormat;
  /** The key's format, decoded into `message.keyData`. Default: none (bytes). */
  keyFormat?: SchemaFormat;
}

/** A producer's formats and schemas. */
export interface ProducerSerdeConfig extends ReaderSerdeConfig {
  /** The value's schema file (.avsc or JSON Schema). Default: none. */
  valueSchemaFile?: string;
  /** The key's schema file. Default: none. */
  keySchemaFile?: string;
  /** Write with the subject's latest registered schema. Default false. */
  useLatestVersion: boolean;
  /** Register the schema file when it is not registered. Default true. */
  autoRegister: boolean;
}

/**
 * Checks the schema-registry keys of one producer or reader: a format needs `kafka.schemaRegistry.url`,
 * and a producer's format needs a schema (a file, or useLatestVersion); a schema file needs its format.
 * @throws ConfigError naming the key
 */
export function checkSerdeConfig(
  entry: ReaderSerdeConfig & Partial<ProducerSerdeConfig>,
  keyPath: string,
  registry: SchemaRegistrySettings,
  registryKey: string,
  producer: boolean,
): void {
  for (const field of ["value", "key"] as const) {
    const format = entry[`${field}Format`];
    const file = entry[`${field}SchemaFile`];
    const at = joinKeyPath(keyPath, `${field}Format`);
    if (format !== undefined && (registry.url === undefined || registry.url === "")) {
      throw ConfigError.atKey(at, `"${format}" needs a schema registry: set ${joinKeyPath(registryKey, "url")}`);
    }
    if (!producer) continue;
    if (file !== undefined && format === undefined) {
      throw ConfigError.atKey(joinKeyPath(keyPath, `${field}SchemaFile`), `needs ${field}Format ("avro" or "json-schema")`);
    }
    if (format !== undefined && file === undefined && entry.useLatestVersion !== true) {
      throw ConfigError.atKey(at, `"${format}" needs a schema: set ${field}SchemaFile, or useLatestVersion = true`);
    }
  }
}

/** A config-reference row of a key that sets no librdkafka property. */
interface ReferenceRow {
  key: string;
  librdkafka: null;
  note: string;
}

const NO_PROPERTY = "No librdkafka property:";

/** The README config reference's rows of `kafka.schemaRegistry` (spread into the mapping table). */
export const schemaRegistryReferenceRows: readonly ReferenceRow[] = [
  {
    key: "schemaRegistry.url",
    librdkafka: null,
    note: `${NO_PROPERTY} the registry serializers and deserializers ask (@confluentinc/schemaregistry).`,
  },
  { key: "schemaRegistry.userName", librdkafka: null, note: `${NO_PROPERTY} basic auth to the registry.` },
  { key: "schemaRegistry.password", librdkafka: null, note: `${NO_PROPERTY} basic auth to the registry; never logged.` },
  {
    key: "schemaRegistry.timeout",
    librdkafka: null,
    note: `${NO_PROPERTY} bounds each registry call; a write that needs the registry fails after it.`,
  },
];

/** The rows of a producer's format keys. */
export const producerSerdeReferenceRows: readonly ReferenceRow[] = [
  { key: "valueFormat", librdkafka: null, note: `${NO_PROPERTY} writeMessages serializes the value object (subject <topic>-value).` },
  { key: "keyFormat", librdkafka: null, note: `${NO_PROPERTY} writeMessages serializes the key object (subject <topic>-key).` },
  { key: "valueSchemaFile", librdkafka: null, note: `${NO_PROPERTY} the value's schema, read when the producer is made.` },
  { key: "keySchemaFile", librdkafka: null, note: `${NO_PROPERTY} the key's schema, read when the producer is made.` },
  { key: "useLatestVersion", librdkafka: null, note: `${NO_PROPERTY} as Confluent's use.latest.version.` },
  { key: "autoRegister", librdkafka: null, note: `${NO_PROPERTY} as Confluent's auto.register.schemas.` },
];

/** The rows of a reader's format keys. */
export const readerSerdeReferenceRows: readonly ReferenceRow[] = [
  { key: "valueFormat", librdkafka: null, note: `${NO_PROPERTY} the value is decoded into message.data before the message is returned.` },
  { key: "keyFormat", librdkafka: null, note: `${NO_PROPERTY} the key is decoded into message.keyData.` },
];
