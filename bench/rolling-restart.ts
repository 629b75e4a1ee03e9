// The rolling-restart rows: 3 Consumer Servers, each in its own process, share one group on 6
// partitions written at a steady rate, with a handler that is sometimes slow; each member in turn gets
// SIGTERM (a graceful stop) and is started again. For each way of rebalancing: the longest pause of
// handling on the partitions that did not move (owned by another member before and after the restart,
// the same one), the longest pause on any partition, and the messages handled twice.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Component } from "ekafka";
import { benchComponent } from "./component.js";
import type { Row } from "./table.js";
import { BROKERS, ROLLING } from "./settings.js";
import { elapsed, sleep } from "./timing.js";
import { benchTopic } from "./topics.js";

const MEMBER_JS = fileURLToPath(new URL("./rolling-restart/member.js", import.meta.url));
const MEMBERS = ["A", "B", "C"] as const;
const CLASSIC = 'heartbeatInterval = "500ms"\nsessionTimeout = "10s"\nrebalanceTimeout = "30s"';

/** The ways of rebalancing measured, with their group keys. */
export const ROLLING_MODES = [
  { name: "classic eager (default)", keys: CLASSIC },
  { name: "cooperative-sticky", keys: `${CLASSIC}\nassignmentStrategy = "cooperative-sticky"` },
  {
    name: "static membership (classic eager)",
    keys: 'heartbeatInterval = "500ms"\nsessionTimeout = "30s"\nrebalanceTimeout = "30s"\ngroupInstanceID = "${ROLLING_MEMBER}"',
  },
  { name: 'KIP-848 (groupProtocol = "consumer")', keys: 'groupProtocol = "consumer"' },
] as const;

/** A message handled: by which member, and when (ms since epoch). */
interface Handled {
  member: string;
  partition: number;
  offset: number;
  at: number;
}

/** What one mode measured. */
export interface RollingFigures {
  unmovedPauseMs: number;
  anyPauseMs: number;
  duplicates: number;
  handled: number;
}

/** One member process; its handled messages go to `records`. */
function startMember(name: string, toml: string, records: Handled[]) {
  const child = spawn(process.execPath, [MEMBER_JS], {
    env: {
      ...process.env,
      ROLLING_TOML: toml,
      ROLLING_MEMBER: name,
      ROLLING_SLOW_MS: String(ROLLING.slowMs),
      ROLLING_SLOW_EVERY: String(ROLLING.slowEvery),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let partial = "";
  let first: number | undefined;
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const [partition, offset, at] = line.split(" ").map(Number);
      records.push({ member: name, partition: partition!, offset: offset!, at: at! });
      first ??= at;
    }
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    firstHandledAt: () => first,
    stop: async () => {
      child.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`member ${name} exited with ${code}: ${stderr}`);
    },
    kill: () => child.kill("SIGKILL"),
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bench: no ${what} after ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/** Writes one message to each partition every 1/perPartitionRate s until stopped; counts what it wrote. */
function steadyWriter(kafka: Component) {
  let running = true;
  let written = 0;
  const interval = 1000 / ROLLING.perPartitionRate;
  const done = (async () => {
    const start = Date.now();
    for (let round = 0; running; round++) {
      const batch = Array.from({ length: ROLLING.partitions }, (_, partition) => ({ partition, key: `k${round % 20}`, value: `${round}` }));
      await kafka.producer("w").writeMessages(...batch);
      written += batch.length;
      const ahead = start + (round + 1) * interval - Date.now();
      if (ahead > 0) await sleep(ahead);
    }
  })();
  return {
    written: () => written,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** The longest time without a message handled on `partition` within [from, to]. */
function longestPause(records: readonly Handled[], partition: number, from: number, to: number): number {
  const times = records.filter((r) => r.partition === partition && r.at >= from && r.at <= to).map((r) => r.at);
  const points = [from, ...times.sort((a, b) => a - b), to];
  return Math.max(...points.slice(1).map((t, i) => t - points[i]!));
}

/** The member that handled `partition` last before `at`. */
function ownerAt(records: readonly Handled[], partition: number, at: number): string | undefined {
  let owner: Handled | undefined;
  for (const r of records) if (r.partition === partition && r.at < at && (owner === undefined || r.at > owner.at)) owner = r;
  return owner?.member;
}

/** One mode: start the three members, restart each in turn, then read everything written. */
export async function rollingRestart(admin: Component, mode: (typeof ROLLING_MODES)[number]): Promise<RollingFigures> {
  const topic = benchTopic(`rolling-${ROLLING_MODES.indexOf(mode)}`);
  await admin.client().createTopics([{ topic, numPartitions: ROLLING.partitions, replicationFactor: 3 }], { ignoreExisting: true });
  const toml = `[kafka]
brokers = ${JSON.stringify(BROKERS)}
[kafka.consumerGroups.group]
topic = "${topic}"
groupID = "${topic}-g"
startOffset = -2
maxWait = "100ms"
${mode.keys}
[kafkaConsumerServers.member]
consumerGroupName = "group"
ordering = "key"
concurrency = 32
`;
  const writer = benchComponent(`[kafka.producers.w]\ntopic = "${topic}"\nbatchTimeout = "5ms"`);
  const records: Handled[] = [];
  const members = new Map(MEMBERS.map((name) => [name, startMember(name, toml, records)]));
  const writing = steadyWriter(writer);
  const steps: Array<{ member: string; from: number; to: number }> = [];
  try {
    await waitFor(
      () => MEMBERS.every((name) => members.get(name)!.firstHandledAt() !== undefined),
      60_000,
      "message handled by each member",
    );
    await sleep(ROLLING.settleMs);
    for (const name of MEMBERS) {
      const from = Date.now();
      await members.get(name)!.stop();
      const member = startMember(name, toml, records);
      members.set(name, member);
      await waitFor(() => member.firstHandledAt() !== undefined, 60_000, `message handled by the restarted ${name}`);
      await sleep(ROLLING.settleMs);
      steps.push({ member: name, from, to: Date.now() });
      console.log(`  ${mode.name}: ${name} restarted in ${((Date.now() - from) / 1000).toFixed(1)} s (settling included)`);
    }
    await writing.stop();
    const distinct = () => new Set(records.map((r) => `${r.partition}/${r.offset}`)).size;
    await waitFor(() => distinct() >= writing.written(), 120_000, `end of the ${writing.written()} messages written`);
  } finally {
    await writing.stop();
    await Promise.allSettled([...members.values()].map((m) => m.stop()));
    for (const m of members.values()) m.kill();
    await writer.close();
  }
  let unmovedPauseMs = 0;
  let anyPauseMs = 0;
  for (const step of steps) {
    for (let partition = 0; partition < ROLLING.partitions; partition++) {
      const pause = longestPause(records, partition, step.from, step.to);
      anyPauseMs = Math.max(anyPauseMs, pause);
      const before = ownerAt(records, partition, step.from);
      if (before !== step.member && before === ownerAt(records, partition, step.to)) unmovedPauseMs = Math.max(unmovedPauseMs, pause);
    }
  }
  const handled = records.length;
  return { unmovedPauseMs, anyPauseMs, duplicates: handled - new Set(records.map((r) => `${r.partition}/${r.offset}`)).size, handled };
}

/** The rolling-restart rows, one mode after the other; a mode that fails shows why in its cells. */
export async function rollingRestartRows(admin: Component): Promise<Row[]> {
  const rows: Row[] = [];
  for (const mode of ROLLING_MODES) {
    console.log(`${elapsed()} rolling restart, ${mode.name}`);
    let figures: RollingFigures | { skipped: string };
    try {
      figures = await rollingRestart(admin, mode);
      console.log(
        `  ${mode.name}: longest pause ${figures.unmovedPauseMs} ms on unmoved partitions, ${figures.anyPauseMs} ms on any; ${figures.duplicates} duplicates of ${figures.handled} handled`,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^bench: /, "") : String(error);
      console.log(`  ${mode.name}: FAILED ${reason}`);
      figures = { skipped: `failed: ${reason.slice(0, 80)}` };
    }
    const cell = (value: (f: RollingFigures) => number) => ("skipped" in figures ? figures : { ok: value(figures) });
    rows.push(
      {
        name: `rolling restart, ${mode.name}: longest pause, unmoved partitions`,
        unit: "ms",
        diagnostic: true,
        ekafka: cell((f) => f.unmovedPauseMs),
      },
      {
        name: `rolling restart, ${mode.name}: longest pause, any partition`,
        unit: "ms",
        diagnostic: true,
        ekafka: cell((f) => f.anyPauseMs),
      },
      { name: `rolling restart, ${mode.name}: messages handled twice`, unit: "count", diagnostic: true, ekafka: cell((f) => f.duplicates) },
    );
  }
  return rows;
}
