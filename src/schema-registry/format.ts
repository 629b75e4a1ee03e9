import { readFileSync } from "node:fs";
import { ConfigError } from "../core/errors.js";
import { compileProtoSchema } from "./proto-schema.js";

/** The value formats a producer writes and a reader decodes through the schema registry. */
export const SCHEMA_FORMATS = ["avro", "protobuf", "json-schema"] as const;

/** `valueFormat` / `keyFormat`: how values are written and read; unset means bytes and strings. */
export type SchemaFormat = (typeof SCHEMA_FORMATS)[number];

/** The registry's name of each format's schema type (Confluent's `schemaType`). */
export const REGISTRY_SCHEMA_TYPE: Readonly<Record<SchemaFormat, string>> = {
  avro: "AVRO",
  protobuf: "PROTOBUF",
  "json-schema": "JSON",
};

/**
 * Reads a schema file for `format` and checks that it is one: an Avro schema (`.avsc`) or a JSON Schema
 * is JSON text; a `.proto` file compiles, is self-contained (no imports) and declares a message. The
 * registry checks the rest when the schema is registered.
 *
 * @param key the config key that names the file, for errors
 * @throws ConfigError naming the key and the file when it cannot be read or is not a schema
 */
export function readSchemaFile(path: string, format: SchemaFormat, key: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw ConfigError.atKey(key, `cannot read the ${format} schema file ${path}: ${(err as Error).message}`);
  }
  try {
    if (format !== "protobuf") JSON.parse(text);
    else if (compileProtoSchema(text).messages.length === 0) throw new Error("it declares no message");
  } catch (err) {
    const what = format === "protobuf" ? "is not a usable .proto file" : "is not JSON";
    throw ConfigError.atKey(key, `the ${format} schema file ${path} ${what}: ${(err as Error).message}`);
  }
  return text;
}
