// Runs at the start of an e2e run (each of the two e2e projects runs it; the second finds the cluster the
// first started): makes sure test/e2e/config/e2e.toml exists and, when it names the local cluster, that
// the cluster is up (started on fresh storage when it was not running), and compiles the child-process
// fixtures once for every file. A cluster this run started is stopped again at the end, so a test run
// leaves the machine as it found it (set EKAFKA_KEEP_CLUSTER=1 to keep it running). `make test` runs the
// e2e-faults project apart, in a network namespace of its own on a second local cluster (KAFKA_STATE_DIR,
// test/all.sh): test/all.sh starts that cluster before vitest, so this finds it running and leaves its
// stop to test/all.sh.
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "smol-toml";
import { compileFixtures, removeCompiled } from "../support/compile-fixture.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const configDir = `${repo}test/e2e/config`;
const e2eToml = `${configDir}/e2e.toml`;
const cluster = `${repo}kafka/cluster.sh`;
const localBrokers = new Set(["127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093", "localhost:9091", "localhost:9092", "localhost:9093"]);

function ensureE2eConfig(): string[] {
  if (!existsSync(e2eToml)) copyFileSync(`${configDir}/example.toml`, e2eToml);
  const doc = parse(readFileSync(e2eToml, "utf8")) as { kafka?: { brokers?: string[] } };
  return doc.kafka?.brokers ?? [];
}

function localClusterRunning(): boolean {
  try {
    execFileSync(cluster, ["running"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs kafka/cluster.sh without blocking vitest's event loop: a blocked main process cannot answer its
 * workers, and vitest then reports "Timeout terminating forks worker" for the file that finished last.
 */
async function clusterScript(command: "reset" | "up" | "down"): Promise<void> {
  const { stdout, stderr } = await promisify(execFile)(cluster, [command]);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
}

/**
 * Compiles every `*-child.ts` of test/e2e/fixtures into one folder and names it in the environment the
 * test files inherit (support/child.ts); returns the folder, or undefined when the other e2e project's
 * setup already did.
 */
async function compileChildren(): Promise<string | undefined> {
  // Imported here: support/ reads e2e.toml when loaded, which ensureE2eConfig may have just created.
  const { COMPILED_CHILDREN_ENV } = await import("./support/child.js");
  if (process.env[COMPILED_CHILDREN_ENV] !== undefined) return undefined;
  const sources = readdirSync(`${repo}test/e2e/fixtures`, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith("-child.ts"))
    .map((file) => `test/e2e/fixtures/${file}`);
  const outDir = await compileFixtures("e2e-children", ...sources);
  process.env[COMPILED_CHILDREN_ENV] = outDir;
  return outDir;
}

export default async function setup(): Promise<() => Promise<void>> {
  const brokers = ensureE2eConfig();
  const usesLocalCluster = brokers.every((b) => localBrokers.has(b));
  process.env.EKAFKA_E2E_LOCAL_CLUSTER = usesLocalCluster ? "1" : "0";
  const startCluster = async (): Promise<boolean> => {
    if (!usesLocalCluster || localClusterRunning()) return false;
    const started = Date.now();
    // Fresh storage, as make test starts it (test/all.sh): the e2e files never delete their topics.
    await clusterScript("reset");
    await clusterScript("up");
    console.log(`e2e: local cluster started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return true;
  };
  // The compile runs while the cluster starts.
  const [compiled, startedHere] = await Promise.all([compileChildren(), startCluster()]);
  return async () => {
    removeCompiled(compiled);
    if (startedHere && process.env.EKAFKA_KEEP_CLUSTER !== "1") await clusterScript("down");
  };
}
