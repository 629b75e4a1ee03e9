// The README names files of this repository: the Development section's layout lists the sources folder
// by folder, and other sections point at tests, scripts, examples and notes. These tests fail when a
// named file or folder does not exist, so a rename or a removal cannot leave the README describing
// what is gone.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");

/** A code span that names a file (by its extension) or a folder (by its trailing slash). */
const PATH = /^[\w.-]+(?:\/[\w.-]+)*(?:\/|\.(?:ts|mjs|js|sh|go|md|json|toml))$/;
/** A file or folder of this repository, wherever the README names it (a glob is not one). */
const REPO_PATH = /^(?:src|consumerserver|test|examples|bench|kafka|docs)\/[\w./-]*$/;
/**
 * Paths the README names that a checkout does not hold: the file a user writes in their own app ("Use it
 * in your service"), and what `make docs` and the e2e global setup write.
 */
const NOT_IN_A_CHECKOUT = new Set(["src/main.ts", "docs/api/", "docs/api/index.html", "test/e2e/config/e2e.toml"]);

/** The text of the README's `## title` section. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/**
 * The code spans of a text, in order, outside fenced blocks (whose backticks are code). A span may run
 * over a line break, as Markdown allows; its whitespace is folded to single spaces.
 */
function backticked(text: string): string[] {
  const prose = text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
  return [...prose.matchAll(/`([^`]+)`/g)].map((match) => (match[1] ?? "").replace(/\s+/g, " "));
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

  it("every path of this repository the README names exists", () => {
    const links = [...readme.matchAll(/\]\(([^)\s#]+)\)/g)].map((match) => match[1] ?? "");
    const named = [...new Set([...backticked(readme), ...links])].filter((path) => REPO_PATH.test(path) && !NOT_IN_A_CHECKOUT.has(path));
    expect(named.length, "paths the README names").toBeGreaterThan(30);
    expect(missing(named), "named in README.md but missing").toEqual([]);
  });
});
