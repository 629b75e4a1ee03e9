// The Consumer Server is built on the public API: from src/ it may import the package entries only
// (`ekafka` = src/index.ts, `ekafka/core` = src/core/index.ts), never a module behind them.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dir = fileURLToPath(new URL("../../../consumerserver/", import.meta.url));
const repo = resolve(dir, "..");
const ENTRIES = new Set(["src/index.js", "src/core/index.js", "ekafka", "ekafka/core"]);

/** The specifier as the repository path it points at (`../../src/index.js` from a subfolder is `src/index.js`). */
function target(file: string, specifier: string): string {
  return specifier.startsWith(".") ? relative(repo, resolve(dirname(join(dir, file)), specifier)) : specifier;
}

/** The .ts files under consumerserver/, subfolders included, relative to it. */
function sources(folder = ""): string[] {
  return readdirSync(join(dir, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = folder === "" ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier of a TypeScript source: static imports, re-exports and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(
    /(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gms,
  )) {
    found.push((match[1] ?? match[2] ?? match[3])!);
  }
  return found;
}

describe("consumerserver/ imports", () => {
  const files = sources();

  it("finds the modules it checks", () => {
    expect(files.length).toBeGreaterThan(10);
    expect(specifiers(readFileSync(join(dir, "server.ts"), "utf8"))).toContain("../src/index.js");
    expect(files).toContain("retry-tiers/retry-tiers.ts");
  });

  it.each(files)("%s imports nothing from src/ but the package entries", (file) => {
    const targets = specifiers(readFileSync(join(dir, file), "utf8")).map((s) => target(file, s));
    const outside = targets.filter((t) => (t.startsWith("src/") || t.startsWith("ekafka")) && !ENTRIES.has(t));
    expect(outside).toEqual([]);
  });

  it("would catch an import of a module behind the entry", () => {
    expect(specifiers('import { Reader } from "../src/reader.js";\nexport { x } from "./x.js";')).toEqual(["../src/reader.js", "./x.js"]);
  });
});
