// The schema registry of the e2e tests: the local cluster's Apicurio Registry (kafka/cluster.sh), or the
// one named by EKAFKA_E2E_SCHEMA_REGISTRY (a Confluent-compatible API's base URL).
import { repoRoot } from "./env.js";

/** Base URL of the registry's Confluent-compatible API. */
export const registryUrl = process.env.EKAFKA_E2E_SCHEMA_REGISTRY ?? "http://127.0.0.1:8081/apis/ccompat/v7";

/** A schema file of test/e2e/fixtures/schema-registry. */
export function schemaFile(name: string): string {
  return `${repoRoot}test/e2e/fixtures/schema-registry/${name}`;
}

/** The id the registry gives the latest schema of `subject`. */
export async function latestSchemaId(subject: string): Promise<number> {
  const response = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`);
  if (!response.ok) throw new Error(`GET latest of ${subject}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}

/** The `[kafka.schemaRegistry]` table of the tests. */
export const registryToml = `
[kafka.schemaRegistry]
url = "${registryUrl}"
timeout = "3s"
`;

/** A format of the schema registry, as valueFormat names it. */
export type Format = "avro" | "protobuf" | "json-schema";

/** The keys of a producer writing its values as `format` with the fixture schema `schema`. */
export const formatProducerKeys = (format: Format, schema: string): string =>
  `valueFormat = "${format}"\nvalueSchemaFile = "${schemaFile(schema)}"\n`;

/** `[kafka.producers.<name>]` writing `topic`'s values as `format` with the fixture schema `schema`. */
export const formatProducerToml = (name: string, topic: string, format: Format, schema: string): string =>
  `\n[kafka.producers.${name}]\ntopic = "${topic}"\n${formatProducerKeys(format, schema)}`;

/** `[kafka.consumers.<name>]` reading `topic` (no group: partition 0 from the start), decoding values as `format`. */
export const formatConsumerToml = (name: string, topic: string, format: Format): string =>
  `\n[kafka.consumers.${name}]\ntopic = "${topic}"\nvalueFormat = "${format}"\n`;

/**
 * A decoded value as plain data, to compare with what was written: Avro decodes a record into an object
 * of its own class, and a Protobuf message carries its `$typeName`.
 */
export const plain = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === "$typeName" ? undefined : v))) as unknown;
