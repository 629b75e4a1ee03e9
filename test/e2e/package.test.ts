// The package as a user gets it: `npm pack`, installed into a new app in a temporary folder outside the
// repository with the commands of the README's "Use it in your service" section, that section's
// tsconfig.json, config.toml and src/main.ts written as they stand there, and its `npx tsc` and
// `node dist/main.js` run against the cluster. The commands and files are read from the README, never
// restated here, so the README and this test cannot drift apart. The app is built twice: with the
// TypeScript this repository pins and with the newest one on the npm registry (`make setup` installs it
// into .tools/typescript-newest, so that the test also runs where the registry cannot be reached).
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokers, repoRoot, uniqueName } from "./support/env.js";

const exec = promisify(execFile);
const SECTION = "Use it in your service";
const TARBALL_PLACEHOLDER = "/path/to/ekafka-0.1.0.tgz";
const CLIENT = join(repoRoot, "node_modules/@confluentinc/kafka-javascript");
// EKAFKA_PACKAGE_TEST_BUILD=1 lets the install compile librdkafka from source, as it does where no
// prebuilt binary exists; by default the client this checkout already built is reused (see repackClient).
const buildFromSource = process.env.EKAFKA_PACKAGE_TEST_BUILD === "1";
// npm's cache, which `make setup` filled (npm ci and deps-typescript), serves what it holds; the
// registry only the rest, so the install also works where the registry cannot be reached.
const NPM_ENV: NodeJS.ProcessEnv = {
  npm_config_prefer_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};

/** A TypeScript installation the app is built with: its folder and the version found there, if any. */
interface Compiler {
  role: string;
  dir: string;
  version: string | undefined;
}

function compiler(role: string, dir: string): Compiler {
  const manifest = join(dir, "package.json");
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version : undefined;
  return { role, dir, version };
}

const compilers = [
  compiler("pinned by this repository", join(repoRoot, "node_modules/typescript")),
  compiler("newest on the npm registry, from make setup", join(repoRoot, ".tools/typescript-newest/node_modules/typescript")),
];

/** The fenced blocks of one language in a `## title` section of the README, in order. */
function readmeBlocks(title: string, language: string): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((match) => match[1] ?? "");
}

/** The one block of a language in the README's section that contains `marker`. */
function readmeBlock(language: string, marker: string): string {
  const found = readmeBlocks(SECTION, language).filter((block) => block.includes(marker));
  if (found.length !== 1)
    throw new Error(`README.md "${SECTION}": expected one \`\`\`${language} block with ${marker}, found ${found.length}`);
  return found[0]!;
}

interface Tsconfig {
  compilerOptions: Record<string, unknown>;
}

/** The README's tsconfig.json, parsed. */
function readmeTsconfig(): Tsconfig {
  return JSON.parse(readmeBlock("json", '"compilerOptions"')) as Tsconfig;
}

/** The README's tsconfig.json with another module resolution, the published types checked too. */
function tsconfigResolving(moduleResolution: "node16" | "bundler"): Tsconfig {
  const base = readmeTsconfig();
  const module = moduleResolution === "bundler" ? "preserve" : moduleResolution;
  return { ...base, compilerOptions: { ...base.compilerOptions, module, moduleResolution, skipLibCheck: false } };
}

/** Runs a command and resolves to its standard output; rejects with all its output when it fails. */
async function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<string> {
  try {
    const { stdout } = await exec(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: 300_000, ...options });
    return stdout;
  } catch (error) {
    const { stdout, stderr, code, signal } = error as { stdout?: string; stderr?: string; code?: number; signal?: string };
    throw new Error(`${file} ${args.join(" ")} failed (exit ${code ?? signal}):\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

/** Runs a README shell block in the app, stopping at its first failing command. */
function runScript(script: string, cwd: string, timeout: number): Promise<string> {
  return run("bash", ["-euo", "pipefail", "-c", script], { cwd, env: { ...process.env, ...NPM_ENV }, timeout });
}

/**
 * A tarball of the @confluentinc/kafka-javascript this checkout installed, with the binary `make setup`
 * compiled in place. Its install script (node-pre-gyp) finds the binary and keeps it, just as it keeps
 * a downloaded prebuilt one, so the test does not compile librdkafka a second time. The librdkafka
 * sources are left out; everything else is the package as npm installed it.
 */
function repackClient(into: string): string {
  const root = join(into, "client");
  const target = join(root, "package");
  cpSync(CLIENT, target, {
    recursive: true,
    filter: (source) =>
      !source.startsWith(join(CLIENT, "deps")) &&
      !source.startsWith(join(CLIENT, "build")) &&
      !source.startsWith(join(CLIENT, "node_modules")),
  });
  mkdirSync(join(target, "build/Release"), { recursive: true });
  mkdirSync(join(target, "build/deps"), { recursive: true });
  cpSync(join(CLIENT, "build/Release/confluent-kafka-javascript.node"), join(target, "build/Release/confluent-kafka-javascript.node"));
  for (const library of readdirSync(join(CLIENT, "build/deps")).filter((name) => /^librdkafka.*\.so\.\d+$/.test(name))) {
    cpSync(join(CLIENT, "build/deps", library), join(target, "build/deps", library));
  }
  return join(root, "client.tgz");
}

/**
 * What `npm pack` needs of the checkout: the manifest, the README, and the sources of what it ships
 * (dist/src, dist/consumerserver). The examples and benchmarks, which the prepack compiles too but the
 * package leaves out, are not copied: compiling them would only cost time.
 */
const PACKED_SOURCES = ["package.json", "README.md", "tsconfig.json", "tsconfig.build.json", "src", "consumerserver"];

/**
 * Runs `npm pack` (its prepack compiling dist/ as always) in a copy of the checkout's sources under
 * `parent`, and returns the tarball's path. Packing the checkout itself would rewrite its dist/ while
 * other test files run programs from there; the copy shares only node_modules (a link).
 */
async function packCopy(parent: string): Promise<string> {
  const source = join(parent, "source");
  for (const path of PACKED_SOURCES) cpSync(join(repoRoot, path), join(source, path), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(source, "node_modules"), "dir");
  const packed = await run("npm", ["pack", "--json", "--pack-destination", parent], { cwd: source });
  const filename = (JSON.parse(packed) as { filename: string }[])[0]?.filename ?? "";
  return join(parent, filename);
}

/**
 * Makes the app's `typescript` (what the README's `npm install --save-dev typescript` put there, and
 * what `npx tsc` runs) the given installation, and checks that `npx tsc` now is that version.
 */
async function useCompiler(app: string, typescript: Compiler): Promise<void> {
  const installed = join(app, "node_modules/typescript");
  rmSync(installed, { recursive: true, force: true });
  symlinkSync(typescript.dir, installed, "dir");
  expect(await runScript("npx tsc --version", app, 60_000)).toBe(`Version ${typescript.version}\n`);
}

describe("the published package, installed into a new app", () => {
  let parent: string;
  let app: string;
  let tarball: string;

  beforeAll(async () => {
    for (const { role, dir, version } of compilers) {
      // Missing is a failure, not a skip: the README's promise to a new user is only checked with both.
      if (version === undefined) {
        throw new Error(
          `TypeScript (${role}) is missing: ${dir} has no package.json; run \`make setup\` (its deps-node step installs the pinned one, deps-typescript the newest from the npm registry)`,
        );
      }
    }
    parent = mkdtempSync(join(tmpdir(), "ekafka-package-"));
    app = join(parent, "service");
    mkdirSync(app);
    tarball = await packCopy(parent);

    let installs = tarball;
    if (!buildFromSource) {
      const client = repackClient(parent);
      await run("tar", ["czf", client, "-C", join(parent, "client"), "package"], { cwd: parent });
      installs = `${client} ${tarball}`;
    }
    const install = readmeBlock("sh", `npm install ${TARBALL_PLACEHOLDER}`);
    const buildSettings = readmeBlock("sh", "export CKJS_LINKING=");
    await runScript(`${buildSettings}\n${install.replace(TARBALL_PLACEHOLDER, installs)}`, app, 600_000);
    mkdirSync(join(app, "src"));
    writeFileSync(join(app, "tsconfig.json"), readmeBlock("json", '"compilerOptions"'));
  }, 900_000);

  afterAll(() => {
    if (parent !== undefined) rmSync(parent, { recursive: true, force: true });
  });

  it("holds the compiled entry points and their types, and no tests or build tooling", async () => {
    const listing = (await run("tar", ["tzf", tarball], { cwd: parent })).split("\n");
    for (const entry of ["dist/src/index", "dist/src/core/index", "dist/consumerserver/index"]) {
      expect(listing).toContain(`package/${entry}.js`);
      expect(listing).toContain(`package/${entry}.d.ts`);
    }
    expect(listing.filter((path) => /^package\/(test|bench|examples|kafka|dist\/(test|bench|examples))\//.test(path))).toEqual([]);
  });

  it("the README's tsconfig.json checks the package's type declarations (no skipLibCheck)", () => {
    expect(readmeTsconfig().compilerOptions.skipLibCheck ?? false).toBe(false);
  });

  for (const typescript of compilers) {
    const named = `TypeScript ${typescript.version ?? "(missing)"} (${typescript.role})`;

    // The README's app itself is compiled with moduleResolution nodenext, so all three settings are covered.
    it(`type-checks a service against the published .d.ts with moduleResolution node16 and bundler, with ${named}`, async () => {
      await useCompiler(app, typescript);
      writeFileSync(join(app, "src/service.ts"), readFileSync(join(repoRoot, "test/e2e/fixtures/package/service.ts")));
      try {
        for (const resolution of ["node16", "bundler"] as const) {
          writeFileSync(join(app, `tsconfig.${resolution}.json`), JSON.stringify(tsconfigResolving(resolution), null, 2));
          await run(join(app, "node_modules/.bin/tsc"), ["-p", `tsconfig.${resolution}.json`, "--noEmit"], { cwd: app });
        }
      } finally {
        rmSync(join(app, "src/service.ts"));
      }
    }, 600_000);

    it(`builds the README's app with ${named} and runs its quick start on a topic that does not exist yet`, async () => {
      await useCompiler(app, typescript);
      const topic = uniqueName("quickstart");
      const config = readmeBlock("toml", "[kafka]")
        .replace(/^brokers = .*$/m, `brokers = ${JSON.stringify(brokers)}`)
        .replaceAll('"orders"', JSON.stringify(topic))
        .replace('groupID = "billing"', `groupID = ${JSON.stringify(uniqueName("quickstart-billing"))}`);
      expect(config).toContain(topic);
      writeFileSync(join(app, "config.toml"), config);
      writeFileSync(join(app, "src/main.ts"), readmeBlock("ts", 'from "ekafka"'));
      rmSync(join(app, "dist"), { recursive: true, force: true });
      const output = await runScript(readmeBlock("sh", "npx tsc"), app, 300_000);
      expect(output).toMatch(/^read order-1 = \{"total":42\} from partition [0-2]$/m);
    }, 600_000);
  }
});
