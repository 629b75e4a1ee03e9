// The Consumer Server is built on the public API: from src/ it may import the package entries only
// (`ekafka` = src/index.ts, `ekafka/core` = src/core/index.ts), never a module behind them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dir = fileURLToPath(new URL("../../../consumerserver/", import.meta.url));
const ENTRIES = new Set(["../src/index.js", "../src/core/index.js", "ekafka", "ekafka/core"]);

/** Every module specifier of a TypeScript source: static imports, re-exports and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gms)) {
    found.push((match[1] ?? match[2] ?? match[3])!);
  }
  return found;
}

describe("consumerserver/ imports", () => {
  const files = readdirSync(dir).filter((name) => name.endsWith(".ts"));

  it("finds the modules it checks", () => {
    expect(files.length).toBeGreaterThan(10);
    expect(specifiers(readFileSync(join(dir, "server.ts"), "utf8"))).toContain("../src/index.js");
  });

  it.each(files)("%s imports nothing from src/ but the package entries", (file) => {
    const outside = specifiers(readFileSync(join(dir, file), "utf8")).filter((s) => (s.startsWith("../") || s.startsWith("ekafka")) && !ENTRIES.has(s));
    expect(outside).toEqual([]);
  });

  it("would catch an import of a module behind the entry", () => {
    expect(specifiers('import { Reader } from "../src/reader.js";\nexport { x } from "./x.js";')).toEqual(["../src/reader.js", "./x.js"]);
  });
});
