// The Consumer Server's keys are described by hand in the README's table (the [kafka] keys are generated):
// this test fails when a key of the schema has no row there, or a row names a key the schema lacks.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { consumerServerSchema } from "../../../consumerserver/config.js";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

/** The key column of the table headed `Key (\`[kafkaConsumerServers.<name>]\`)`. */
function tableKeys(): string[] {
  const start = readme.indexOf("| Key (`[kafkaConsumerServers.<name>]`)");
  expect(start, "README.md has no [kafkaConsumerServers.<name>] table").toBeGreaterThanOrEqual(0);
  const keys: string[] = [];
  for (const line of readme.slice(start).split("\n").slice(2)) {
    const match = /^\| `(\w+)` \|/.exec(line);
    if (match === null) break;
    keys.push(match[1]!);
  }
  return keys;
}

describe("README Consumer Server keys", () => {
  it("has one row per key of the server's schema, with its default", () => {
    const keys = tableKeys();
    expect([...keys].sort()).toEqual(Object.keys(consumerServerSchema).sort());
    for (const line of readme.split("\n").filter((l) => /^\| `\w+` \|/.test(l) && keys.some((k) => l.startsWith(`| \`${k}\` |`)))) {
      expect(line.split("|").length, line).toBeGreaterThanOrEqual(6); // key, type, default, librdkafka, meaning
    }
  });
});
