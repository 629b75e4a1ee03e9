// Runs at the start of an e2e run (each of the two e2e projects runs it; the second finds the cluster the
// first started): makes sure test/e2e/config/e2e.toml exists and, when it names the local cluster, that
// the cluster is up. A cluster this run started is stopped again at the end, so a test
// run leaves the machine as it found it (set EKAFKA_KEEP_CLUSTER=1 to keep it running).
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "smol-toml";

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
async function clusterScript(command: "up" | "down"): Promise<void> {
  const { stdout, stderr } = await promisify(execFile)(cluster, [command]);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
}

export default async function setup(): Promise<() => Promise<void>> {
  const brokers = ensureE2eConfig();
  const usesLocalCluster = brokers.every((b) => localBrokers.has(b));
  process.env.EKAFKA_E2E_LOCAL_CLUSTER = usesLocalCluster ? "1" : "0";
  let startedHere = false;
  if (usesLocalCluster && !localClusterRunning()) {
    const started = Date.now();
    await clusterScript("up");
    console.log(`e2e: local cluster started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    startedHere = true;
  }
  return async () => {
    if (startedHere && process.env.EKAFKA_KEEP_CLUSTER !== "1") await clusterScript("down");
  };
}
