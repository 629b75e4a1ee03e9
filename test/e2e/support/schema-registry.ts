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
