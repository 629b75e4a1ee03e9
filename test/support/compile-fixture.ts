// Compiles TypeScript fixtures that tests run as child processes: Node 20 cannot run TypeScript and no
// TS runner is installed, so the project's own tsc emits them (--noCheck: emit only, about a second),
// with what they import, into a fresh folder under node_modules/.cache — inside the checkout, so the
// compiled files resolve their dependencies from node_modules. No prior build is needed.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Compiles the given sources (paths relative to the repository) and what they import; returns the
 * output folder, where `<source>.js` sits at the same relative path.
 */
export async function compileFixtures(prefix: string, ...sources: string[]): Promise<string> {
  const cacheDir = join(repoRoot, "node_modules/.cache");
  mkdirSync(cacheDir, { recursive: true });
  const outDir = mkdtempSync(join(cacheDir, `ekafka-${prefix}-`));
  const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
  // Every option is given here, so the compile does not depend on tsconfig.json (or its other files).
  // prettier-ignore
  await promisify(execFile)(process.execPath, [
    tsc,
    "--noCheck",
    "--skipLibCheck",
    "--module", "nodenext",
    "--moduleResolution", "nodenext",
    "--target", "es2022",
    "--experimentalDecorators",
    "--esModuleInterop",
    "--resolveJsonModule",
    "--types", "node",
    "--rootDir", repoRoot,
    "--outDir", outDir,
    ...sources.map((source) => join(repoRoot, source)),
  ]);
  return outDir;
}

/** Removes a folder made by {@link compileFixtures}. */
export function removeCompiled(outDir: string | undefined): void {
  if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
}
