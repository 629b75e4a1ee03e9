// The package as a user gets it: `npm pack`, installed into a new app in a temporary folder outside the
// repository with the commands of the README's "Use it in your service" section, a service type-checked
// there against the published .d.ts files, and the README's quick start run against the cluster.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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

/** The fenced blocks of one language in a `## title` section of the README, in order. */
function readmeBlocks(title: string, language: string): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((match) => match[1] ?? "");
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

/** tsconfig for the service: strict, the published types checked too (no skipLibCheck). */
function tsconfig(moduleResolution: "node16" | "nodenext" | "bundler"): object {
  const module = moduleResolution === "bundler" ? "preserve" : moduleResolution;
  return {
    compilerOptions: {
      target: "es2022",
      module,
      moduleResolution,
      strict: true,
      types: ["node"],
      outDir: "dist",
      rootDir: "src",
      skipLibCheck: false,
    },
    include: ["src"],
  };
}

describe("the published package, installed into a new app", () => {
  let parent: string;
  let app: string;
  let tarball: string;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), "ekafka-package-"));
    app = join(parent, "service");
    mkdirSync(app);
    const packed = await run("npm", ["pack", "--json", "--pack-destination", parent], { cwd: repoRoot });
    const filename = (JSON.parse(packed) as { filename: string }[])[0]?.filename ?? "";
    tarball = join(parent, filename);

    let installs = tarball;
    if (!buildFromSource) {
      const client = repackClient(parent);
      await run("tar", ["czf", client, "-C", join(parent, "client"), "package"], { cwd: parent });
      installs = `${client} ${tarball}`;
    }
    const [install] = readmeBlocks(SECTION, "sh");
    const buildSettings = readmeBlocks(SECTION, "sh")[1] ?? "";
    expect(install, "README install block").toContain(`npm install ${TARBALL_PLACEHOLDER}`);
    const script = `${buildSettings}\n${install!.replace(TARBALL_PLACEHOLDER, installs)}`;
    // The npm cache `make setup` filled serves what it can (tarballs); the registry the rest.
    await run("bash", ["-euo", "pipefail", "-c", script], {
      cwd: app,
      env: {
        ...process.env,
        npm_config_prefer_offline: "true",
        npm_config_audit: "false",
        npm_config_fund: "false",
        npm_config_update_notifier: "false",
      },
      timeout: 600_000,
    });
    mkdirSync(join(app, "src"));
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

  // The quick start below is compiled with moduleResolution nodenext, so all three settings are covered.
  it("type-checks a service against the published .d.ts with moduleResolution node16 and bundler", async () => {
    writeFileSync(join(app, "src/service.ts"), readFileSync(join(repoRoot, "test/e2e/fixtures/package/service.ts")));
    for (const resolution of ["node16", "bundler"] as const) {
      writeFileSync(join(app, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig(resolution), null, 2));
      await run(join(app, "node_modules/.bin/tsc"), ["-p", `tsconfig.${resolution}.json`, "--noEmit"], { cwd: app });
    }
    rmSync(join(app, "src/service.ts"));
  }, 600_000);

  it("runs the README quick start, writing to a topic that does not exist yet", async () => {
    const topic = uniqueName("quickstart");
    const [toml] = readmeBlocks(SECTION, "toml");
    const [quickStart] = readmeBlocks(SECTION, "ts");
    const config = toml!
      .replace(/^brokers = .*$/m, `brokers = ${JSON.stringify(brokers)}`)
      .replaceAll('"orders"', JSON.stringify(topic))
      .replace('groupID = "billing"', `groupID = ${JSON.stringify(uniqueName("quickstart-billing"))}`);
    expect(config).toContain(topic);
    writeFileSync(join(app, "config.toml"), config);
    writeFileSync(join(app, "src/main.ts"), quickStart!);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig("nodenext"), null, 2));
    await run(join(app, "node_modules/.bin/tsc"), [], { cwd: app });
    const output = await run(process.execPath, ["dist/main.js"], { cwd: app, timeout: 120_000 });
    expect(output).toMatch(/^read order-1 = \{"total":42\} from partition [0-2]$/m);
  }, 600_000);
});
