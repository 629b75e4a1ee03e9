// The properties librdkafka itself treats as sensitive, read from the librdkafka sources the client was
// built from (node_modules/@confluentinc/kafka-javascript/deps/librdkafka), independently of the list in
// src/secrets.ts: tests check that list against these, and set each of these to a marker.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Each `_RK_SENSITIVE` entry of rdkafka_conf.c: its property name and its kind (`_RK_C_STR`, `_RK_C_INTERNAL` …). */
function sensitiveEntries(): Array<{ name: string; kind: string }> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("@confluentinc/kafka-javascript/package.json"));
  const source = readFileSync(join(root, "deps/librdkafka/src/rdkafka_conf.c"), "utf8");
  const entry = /\{\s*(?:_RK_\w+\s*\|\s*)*_RK_SENSITIVE(?:\s*\|\s*_RK_\w+)*\s*,\s*"([^"]+)"\s*,\s*(_RK_C_\w+)/g;
  return [...source.matchAll(entry)].map((match) => ({ name: match[1]!, kind: match[2]! }));
}

/** The properties librdkafka marks `_RK_SENSITIVE`. */
export function librdkafkaSensitiveProperties(): string[] {
  return sensitiveEntries().map((entry) => entry.name);
}

/** The sensitive properties a configuration can set by name (librdkafka's internal ones cannot be). */
export function settableSensitiveProperties(): string[] {
  return sensitiveEntries()
    .filter((entry) => entry.kind !== "_RK_C_INTERNAL")
    .map((entry) => entry.name);
}
