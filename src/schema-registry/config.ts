import { ConfigError } from "../core/errors.js";
import { joinKeyPath } from "../core/table.js";
import type { ProducerSerdeConfig, ReaderSerdeConfig, SchemaRegistrySettings } from "../kafka-fields.js";

// The rules of the schema registry's keys that involve more than one key. The keys themselves
// (`kafka.schemaRegistry` and the format keys of producers and readers) are entries of the field
// table, kafka-fields.ts.

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
      throw ConfigError.atKey(joinKeyPath(keyPath, `${field}SchemaFile`), `needs ${field}Format ("avro", "protobuf" or "json-schema")`);
    }
    if (format !== undefined && file === undefined && entry.useLatestVersion !== true) {
      throw ConfigError.atKey(at, `"${format}" needs a schema: set ${field}SchemaFile, or useLatestVersion = true`);
    }
  }
}
