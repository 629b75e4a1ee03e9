// The README's config reference is generated from the mapping table: this test fails when they differ
// (run with UPDATE_README=1 to rewrite the section), so every key keeps its default and librdkafka
// property in the README.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mappingTable } from "../../src/librdkafka-properties.js";
import { markers, renderConfigReference } from "./support/config-reference.js";

const readmePath = new URL("../../README.md", import.meta.url);

describe("README config reference", () => {
  it("is the one generated from the mapping table", () => {
    const readme = readFileSync(readmePath, "utf8");
    const start = readme.indexOf(markers.START);
    const end = readme.indexOf(markers.END);
    expect(start, "README.md has no config-reference markers").toBeGreaterThanOrEqual(0);
    const current = readme.slice(start, end + markers.END.length);
    const fresh = renderConfigReference();
    if (process.env.UPDATE_README === "1" && current !== fresh) {
      writeFileSync(readmePath, readme.slice(0, start) + fresh + readme.slice(end + markers.END.length));
      return;
    }
    expect(current).toBe(fresh);
  });

  it("lists every key of the [kafka] tree with its librdkafka property", () => {
    const readme = readFileSync(readmePath, "utf8");
    for (const row of mappingTable) {
      const line = readme.split("\n").find((l) => l.startsWith(`| \`${row.key}\` |`));
      expect(line, row.key).toBeDefined();
      if (row.librdkafka !== null) expect(line, row.key).toContain(`\`${row.librdkafka}\``);
    }
  });
});
