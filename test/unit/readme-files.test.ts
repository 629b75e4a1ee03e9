// The README names files of this repository: the Development section's layout lists the sources folder
// by folder, and other sections point at tests, scripts and examples. These tests fail when a named file
// or folder does not exist, so a rename or a removal cannot leave the README describing what is gone.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");

/** A backticked token that names a file (by its extension) or a folder (by its trailing slash). */
const PATH = /^[\w.-]+(?:\/[\w.-]+)*(?:\/|\.(?:ts|mjs|js|sh|go|md|json|toml))$/;
/** A source file of this repository, wherever the README names it. */
const SOURCE_FILE = /^(?:src|consumerserver|test|examples|bench|kafka|docs)\/[\w./-]+\.(?:ts|mjs|js|sh|go)$/;
/** Files the README tells a user to write in their own app ("Use it in your service"), not ours. */
const USER_APP_FILES = new Set(["src/main.ts"]);

/** The text of the README's `## title` section. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The backticked tokens of a text, in order. */
function backticked(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] ?? "");
}

/** The bullets of a text (a `- ` line and the indented lines that continue it), each as one string. */
function bullets(text: string): string[] {
  const items: string[] = [];
  let open = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("- ")) items.push(line.slice(2));
    else if (open && line.startsWith("  ")) items[items.length - 1] += ` ${line.trim()}`;
    open = line.startsWith("- ") || (open && line.startsWith("  "));
  }
  return items;
}

/**
 * The paths the Development section's layout names: each bullet that starts with a folder (`src/core/`)
 * names files and folders inside it.
 */
function layoutPaths(): { folder: string; paths: string[] }[] {
  return bullets(section("Development")).flatMap((item) => {
    const [folder, ...rest] = backticked(item);
    if (folder === undefined || !item.startsWith(`\`${folder}\``) || !folder.endsWith("/") || !PATH.test(folder)) return [];
    return [{ folder, paths: [folder, ...rest.filter((token) => PATH.test(token)).map((token) => folder + token)] }];
  });
}

function missing(paths: string[]): string[] {
  return paths.filter((path) => !existsSync(join(root, path)));
}

describe("README files", () => {
  it("the Development layout names only files and folders that exist", () => {
    const layout = layoutPaths();
    expect(layout.map(({ folder }) => folder)).toEqual(expect.arrayContaining(["src/", "src/core/", "consumerserver/"]));
    const named = layout.flatMap(({ paths }) => paths);
    expect(named.length, "files the layout names").toBeGreaterThan(50);
    expect(missing(named), "named in README.md's Development layout but missing").toEqual([]);
  });

  it("every source file the README names exists", () => {
    const named = [...new Set(backticked(readme).concat([...readme.matchAll(/\]\(([^)\s#]+)\)/g)].map((match) => match[1] ?? "")))];
    const sources = named.filter((path) => SOURCE_FILE.test(path) && !USER_APP_FILES.has(path));
    expect(sources.length, "source files the README names").toBeGreaterThan(10);
    expect(missing(sources), "named in README.md but missing").toEqual([]);
  });
});
