// Runs every program under examples/ from dist/ against the local cluster, as `make example NAME=…`
// does, and checks what it printed. The examples' config files name the local cluster, so they run
// only against it.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { localCluster, repoRoot } from "./support/env.js";

const run = promisify(execFile);
const EXAMPLES = [
  "producer",
  "consumer",
  "consumer-group",
  "consumer-server",
  "on-start",
  "on-consumer-group-start",
  "app",
  "sasl-scram",
  "dead-letter",
  "retry-tiers",
  "on-each-batch",
  "demo",
];
const SOURCE_DIRS = ["src", "consumerserver", "examples"];
const mainOf = (name: string) => join(repoRoot, "dist", "examples", name, "main.js");

/** The newest modification time of the .ts files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/ lacks an example or is older than a source it is built from. */
function distIsStale(): boolean {
  if (!EXAMPLES.every((name) => existsSync(mainOf(name)))) return true;
  const built = Math.min(...EXAMPLES.map((name) => statSync(mainOf(name)).mtimeMs));
  return Math.max(...SOURCE_DIRS.map((dir) => newestSource(join(repoRoot, dir)))) > built;
}

interface Output {
  /** The example's own lines: stdout without the JSON log lines. */
  lines: string[];
  text: string;
}

/** Runs dist/examples/<name>/main.js from the repository root; rejects with its output when it fails. */
async function runExample(name: string, env: Record<string, string> = {}): Promise<Output> {
  try {
    const { stdout } = await run(process.execPath, [mainOf(name)], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = stdout.split("\n").filter((line) => line !== "" && !line.startsWith("{"));
    return { lines, text: lines.join("\n") };
  } catch (error) {
    const { stdout, stderr, code, signal } = error as { stdout?: string; stderr?: string; code?: number; signal?: string };
    throw new Error(`example ${name} failed (exit ${code ?? signal}):\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

const count = (lines: string[], pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;

describe.skipIf(!localCluster)("examples", () => {
  beforeAll(() => {
    if (distIsStale())
      execFileSync(join(repoRoot, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  });

  it("producer: keys, headers, compression; one key stays on one partition", async () => {
    const { lines, text } = await runExample("producer");
    const partitionsOf = (key: string) =>
      new Set(lines.flatMap((line) => new RegExp(`^delivered key=${key} partition=(\\d+) offset=\\d+$`).exec(line)?.[1] ?? []));
    expect(partitionsOf("alice").size, text).toBe(1);
    expect(partitionsOf("dave").size, text).toBe(1);
    expect(count(lines, /^delivered key=\w+ partition=\d+ offset=\d+$/), text).toBe(6);
    expect(text).toMatch(/^delivered 1000 messages to partitions 0,1,2$/m);
    expect(text).toMatch(/^producer example done$/m);
  });

  it("consumer: fetchMessage + commitMessages read back what was written, lag 0", async () => {
    const { lines, text } = await runExample("consumer");
    const runId = /^wrote 5 messages \(run (\w+)\)$/m.exec(text)?.[1];
    expect(runId, text).toBeDefined();
    expect(count(lines, new RegExp(`^read partition=\\d offset=\\d+ key=${runId}-\\d value="message \\d of run ${runId}"$`)), text).toBe(5);
    expect(text).toMatch(/^lag after reading: 0 \(from the last fetch\), 0 \(asked the brokers\)$/m);
    expect(text).toMatch(/^consumer example done$/m);
  });

  it("consumer-group: a poll loop sees assignments, a revocation and every message", async () => {
    const { lines, text } = await runExample("consumer-group");
    expect(text).toMatch(/^member1: assigned partitions 0,1,2$/m);
    expect(text).toMatch(/^member1: revoked partitions 0,1,2$/m);
    expect(text).toMatch(/^member2: assigned partitions \d(,\d)?$/m);
    expect(count(lines, /^member[12]: message partition=\d offset=\d+ value="message \d+ of run \w+"$/), text).toBe(12);
    expect(text).toMatch(/^consumer-group example done$/m);
  });

  it("consumer-server: onEachMessage retries a RecoverableError, then stops via app.stop()", async () => {
    const { text } = await runExample("consumer-server");
    expect(text).toMatch(/^item-3: attempt 1 failed, the warehouse is busy$/m);
    expect(text).toMatch(/^onError: handle RecoverableError: the warehouse is busy \(retrying: true\)$/m);
    expect(text).toMatch(/^item-3: reserved 3 box\(es\) \(attempt 3\)$/m);
    for (const item of [1, 2, 4, 5]) expect(text).toMatch(new RegExp(`^item-${item}: reserved ${item} box\\(es\\) \\(attempt 1\\)$`, "m"));
    expect(text).toMatch(/^consumer-server example done: 5 messages handled$/m);
  });

  it("on-start: the handler reads with its Consumer, and returning stops the App", async () => {
    const { lines, text } = await runExample("on-start");
    expect(count(lines, /^audit: user \d logged in \(partition \d, offset \d+\)$/), text).toBe(4);
    expect(text).toMatch(/^audit: read all 4 messages of this run; returning stops the server$/m);
    expect(text).toMatch(/^on-start example done$/m);
  });

  it("on-consumer-group-start: the handler polls its ConsumerGroup until the App stops it", async () => {
    const { text } = await runExample("on-consumer-group-start");
    expect(text).toMatch(/^metrics: assigned 0,1,2$/m);
    expect(text).toMatch(/^metrics: all 9 samples read$/m);
    expect(text).toMatch(/^on-consumer-group-start example done: sum 45$/m);
  });

  it("app: two Consumer Servers whose handlers are methods of an injected class", async () => {
    const { lines, text } = await runExample("app");
    expect(text).toMatch(/^serving kafkaConsumerServers\.orders and kafkaConsumerServers\.payments$/m);
    const runId = /^orders: charging (\w+)-order-\d \d+$/m.exec(text)?.[1];
    expect(runId, text).toBeDefined();
    expect(count(lines, new RegExp(`^orders: charging ${runId}-order-\\d \\d+$`)), text).toBe(4);
    expect(count(lines, new RegExp(`^payments: booked ${runId}-order-\\d \\d+ \\(ledger total \\d+\\)$`)), text).toBe(4);
    expect(text).toMatch(/^app example done: 4 payments booked, ledger total \d+$/m);
  });

  it("sasl-scram: writes and reads over SCRAM-SHA-512 without printing the password", async () => {
    const { text } = await runExample("sasl-scram");
    expect(text).toMatch(
      // redactConfig masks the user name too: librdkafka counts sasl.username among its sensitive properties.
      /^connecting to 127\.0\.0\.1:9191,127\.0\.0\.1:9192,127\.0\.0\.1:9193 as \*+ with SCRAM-SHA-512 \(password \*+\)$/m,
    );
    expect(text).toMatch(/^read it back: "hello over SCRAM-SHA-512 \(run \w+\)"$/m);
    expect(text).not.toContain("scram512-secret");
    expect(text).toMatch(/^sasl-scram example done$/m);
  });

  it("dead-letter: failed messages go to the .DLT topic with their reasons, the rest are handled", async () => {
    const { text } = await runExample("dead-letter");
    for (const amount of [10, 20, 30]) expect(text).toMatch(new RegExp(`^paid: pay ${amount}$`, "m"));
    expect(text).toMatch(
      /^dead letter: "not a payment" from ekafka-example-dead-letter\/\d@\d+ after 1 attempt\(s\): Error: cannot parse "not a payment"$/m,
    );
    expect(text).toMatch(
      /^dead letter: "bank offline" from ekafka-example-dead-letter\/\d@\d+ after 3 attempt\(s\): RecoverableError: the bank is offline \(attempt 3\)$/m,
    );
    expect(text).toMatch(/^dead-letter example done$/m);
  });

  it("retry-tiers: the failing order waits in the retry topics while the others go on; the dead letter is replayed", async () => {
    const { lines, text } = await runExample("retry-tiers");
    const handled = lines.filter((line) => line.startsWith("handled: order"));
    expect(handled.slice(0, 4), text).toEqual([
      "handled: order 1 (attempt 1, read from ekafka-example-retry-tiers)",
      "handled: order 3 (attempt 1, read from ekafka-example-retry-tiers)",
      "handled: order 5 (attempt 1, read from ekafka-example-retry-tiers)",
      "handled: order 2 (attempt 3, read from ekafka-example-retry-tiers.retry.2)",
    ]);
    expect(text).toMatch(/^dead letter: "order 4" after 3 attempts, last tier 2$/m);
    expect(text).toMatch(
      /^ {2}x-ekafka-attempt-1: \S+ ekafka-example-retry-tiers\[\d\]@\d+ RecoverableError: payment service down \(attempt 1\)$/m,
    );
    expect(text).toMatch(
      /^ {2}x-ekafka-attempt-3: \S+ ekafka-example-retry-tiers\.retry\.2\[\d\]@\d+ RecoverableError: payment service down \(attempt 3\)$/m,
    );
    expect(text).toMatch(/^replayed 1 dead letter\(s\) to ekafka-example-retry-tiers/m);
    expect(text).toMatch(/^handled: order 4 \(replayed from ekafka-example-retry-tiers\.DLT\[\d\]@\d+\)$/m);
    expect(text).toMatch(/^retry-tiers example done$/m);
  });

  it("on-each-batch: batches of one partition, a retry of the unresolved rest, every row once and in order", async () => {
    const { text, lines } = await runExample("on-each-batch");
    expect(text).toMatch(/^wrote 120 rows$/m);
    expect(count(lines, /^batch of \d+ from partition \d \(attempt 1\)$/)).toBeGreaterThanOrEqual(3); // 120 rows, at most 50 a batch
    expect(text).toMatch(/^onError: database busy at row 60 — retrying the rest of the batch$/m);
    expect(text).toMatch(/^batch of \d+ from partition \d \(attempt 2\)$/m);
    expect(text).toMatch(/^on-each-batch example done: 120 rows saved, in order, each once$/m);
  });

  it("demo: the governor's address, a live line a second with latency, then produced = consumed, twice in a row", async () => {
    // The second run meets a group with history (committed offsets, perhaps a backlog): it must add up too.
    for (const run of [1, 2]) {
      const { lines, text } = await runExample("demo", { DEMO_SECONDS: "3", DEMO_RATE: "1000" });
      expect(text).toMatch(/^demo: governor on http:\/\/127\.0\.0\.1:9003: \/metrics \/readyz \/livez \/debug\/servers \/debug\/config$/m);
      const liveLine =
        /^\[\s*\d+s\] produced [\d,]+\/s {2}consumed [\d,]+\/s {2}lag [\d,?]+ {2}latency p50 (-|[\d,]+ ms) p99 (-|[\d,]+ ms) {2}errors 0$/;
      expect(count(lines, liveLine), `run ${run}:\n${text}`).toBeGreaterThanOrEqual(2);
      expect(
        lines.some((line) => /latency p50 [\d,]+ ms p99 [\d,]+ ms/.test(line)),
        `run ${run}:\n${text}`,
      ).toBe(true);
      const summary = /^demo done: ([\d,]+) produced, ([\d,]+) consumed, 0 lost, 0 errors$/m.exec(text);
      expect(summary, `run ${run}:\n${text}`).not.toBeNull();
      expect(summary![1], text).toBe(summary![2]);
      // At least a second's worth at 1,000/s: the run really produced under load (a slow machine makes fewer).
      expect(Number(summary![1]!.replaceAll(",", "")), text).toBeGreaterThanOrEqual(1000);
    }
  }, 300_000);
});
