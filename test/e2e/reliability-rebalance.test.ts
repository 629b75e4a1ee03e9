// Reliability: three Consumer Server processes join and leave one group while 100,000 messages are
// produced to a 6-partition topic — A starts, production runs in the background, B joins, C joins, A
// gets SIGTERM, later B gets SIGTERM, and C finishes. Nothing is lost, and no partition is ever handled
// by two members at once: every handler records (member, partition, offset, start, end) with
// `performance.timeOrigin + performance.now()` timestamps, and for each partition the intervals of
// different members must not overlap.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Component } from "ekafka";
import { buildComponent } from "./support/component.js";
import { consumerServerToml } from "./support/scenario.js";
import { uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";
import { compileFixtures, RecordFile, removeCompiled, startChild, type Child } from "./support/child.js";
import { sleep, until } from "./support/wait.js";

const CHILD = "test/e2e/fixtures/reliability/member-child.ts";
const TOTAL = 100_000;
const PARTITIONS = 6;
/** Messages per writeMessages call, and the production rate: the run lasts about TOTAL / RATE seconds. */
const CHUNK = 500;
const RATE = 10_000;

let outDir: string | undefined;
const components: Component[] = [];

beforeAll(async () => {
  outDir = await compileFixtures(CHILD);
}, 120_000);

afterAll(async () => {
  await Promise.all(components.map((c) => c.close().catch(() => undefined)));
  removeCompiled(outDir);
});

interface HandledRecord {
  member: string;
  partition: number;
  offset: number;
  start: number;
  end: number;
}

function parseRecord(line: string): HandledRecord {
  const [member, partition, offset, start, end] = line.split(" ");
  return { member: member!, partition: Number(partition), offset: Number(offset), start: Number(start), end: Number(end) };
}

/**
 * Pairs of intervals of one partition handled by different members that overlap in time, and the number
 * of hand-overs (the member changes along the partition's timeline).
 */
function checkOwnership(records: readonly HandledRecord[]): { overlaps: string[]; handOvers: number } {
  const byPartition = new Map<number, HandledRecord[]>();
  for (const r of records) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r);
    byPartition.set(r.partition, list);
  }
  const overlaps: string[] = [];
  let handOvers = 0;
  for (const [partition, list] of byPartition) {
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    // The latest end seen so far per member, and which record it belongs to: an interval of another
    // member that started earlier overlaps this one iff it ends after this one starts.
    const latestEnd = new Map<string, HandledRecord>();
    let previous: HandledRecord | undefined;
    for (const r of list) {
      for (const [member, other] of latestEnd) {
        if (member !== r.member && other.end > r.start) {
          overlaps.push(
            `partition ${partition}: ${other.member} handled offset ${other.offset} in [${other.start}, ${other.end}] while ` +
              `${r.member} handled offset ${r.offset} in [${r.start}, ${r.end}]`,
          );
        }
      }
      const mine = latestEnd.get(r.member);
      if (mine === undefined || r.end > mine.end) latestEnd.set(r.member, r);
      if (previous !== undefined && previous.member !== r.member) handOvers++;
      previous = r;
    }
  }
  return { overlaps, handOvers };
}

describe("three Consumer Server processes joining and leaving one group under load", () => {
  it("(the ownership check finds an overlap, and counts hand-overs)", () => {
    const r = (member: string, offset: number, start: number, end: number): HandledRecord => ({ member, partition: 0, offset, start, end });
    expect(checkOwnership([r("A", 0, 0, 10), r("A", 1, 10, 11), r("B", 1, 5, 6)]).overlaps).toHaveLength(1);
    expect(checkOwnership([r("B", 5, 100, 101), r("A", 0, 0, 50), r("C", 9, 2, 3)]).overlaps).toHaveLength(1);
    expect(checkOwnership([r("A", 0, 0, 10), r("B", 1, 10, 12), r("A", 2, 13, 14)])).toEqual({ overlaps: [], handOvers: 2 });
  });

  it(`handle all ${TOTAL.toLocaleString("en")} messages, never one partition in two members at once`, async () => {
    const topic = uniqueName("e2e-rel-rebalance");
    const groupID = uniqueName("g-rel-rebalance");
    await createTopic(topic, PARTITIONS, 3);
    const kafka = buildComponent(`
[kafka.client]
timeout = "10s"
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
batchSize = 500
`);
    components.push(kafka);
    const toml = (serverKeys: string) => consumerServerToml(topic, groupID, serverKeys);
    // A and C handle partitions in parallel (handlers in flight at each revocation), B one at a time.
    const modes: Record<string, string> = { A: "partitionConcurrency = true", B: "", C: "partitionConcurrency = true" };
    const files = new Map<string, RecordFile>();
    const records: HandledRecord[] = [];
    const seen = new Set<string>();
    const collect = () => {
      for (const file of files.values()) {
        for (const line of file.poll()) {
          const r = parseRecord(line);
          records.push(r);
          seen.add(`${r.partition}/${r.offset}`);
        }
      }
    };
    const children = new Map<string, Child>();
    const start = (member: string) => {
      const file = new RecordFile(join(outDir!, `${groupID}-${member}.records`));
      files.set(member, file);
      children.set(member, startChild(outDir!, CHILD, { CHILD_TOML: toml(modes[member]!), RECORD_FILE: file.path, MEMBER: member }));
    };
    const terminate = async (member: string) => {
      const child = children.get(member)!;
      child.kill("SIGTERM");
      const code = await child.exited;
      expect(code, `${member}: ${child.output().slice(-2000)}`).toBe(0);
      expect(child.output()).toContain("stopped");
    };
    const timeline: string[] = [];
    const began = Date.now();
    const mark = (what: string) => timeline.push(`${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);

    try {
      start("A");
      mark("A started");
      // The schedule, by messages acknowledged: members join and leave while the backlog is live.
      const steps: Array<{ at: number; run: () => Promise<void> | void; name: string }> = [
        { at: 15_000, name: "B started", run: () => start("B") },
        { at: 35_000, name: "C started", run: () => start("C") },
        { at: 55_000, name: "A stopped (SIGTERM)", run: () => terminate("A") },
        { at: 80_000, name: "B stopped (SIGTERM)", run: () => terminate("B") },
      ];
      const stepsDone: Promise<void>[] = [];
      let acknowledged = 0;
      const produceStarted = Date.now();
      for (let sent = 0; sent < TOTAL; sent += CHUNK) {
        const chunk = Array.from({ length: CHUNK }, (_, i) => ({ value: `m${sent + i}` }));
        await kafka.producer("p1").writeMessages(...chunk);
        acknowledged += CHUNK;
        while (steps.length > 0 && acknowledged >= steps[0]!.at) {
          const step = steps.shift()!;
          stepsDone.push(
            Promise.resolve(step.run()).then(() => {
              mark(step.name);
            }),
          );
        }
        const ahead = produceStarted + (acknowledged / RATE) * 1000 - Date.now();
        if (ahead > 0) await sleep(ahead);
      }
      mark(`${acknowledged} produced`);
      await Promise.all(stepsDone);
      await until(
        () => {
          collect();
          return seen.size >= TOTAL;
        },
        60_000,
        () => `${seen.size} of ${TOTAL} handled; C: ${children.get("C")?.output().slice(-2000)}`,
        200,
      );
      mark("all handled");
      await terminate("C");
      mark("C stopped (SIGTERM)");
      collect();
    } finally {
      for (const child of children.values()) child.kill("SIGKILL");
    }

    const ends = await kafka.client().listOffsets(topic, "latest");
    expect(ends.reduce((sum, p) => sum + p.offset, 0)).toBe(TOTAL);
    const perMember = new Map<string, number>();
    for (const r of records) perMember.set(r.member, (perMember.get(r.member) ?? 0) + 1);
    const duplicates = records.length - seen.size;
    const { overlaps, handOvers } = checkOwnership(records);
    console.log(
      `rebalance under load: ${seen.size} of ${TOTAL} distinct handled; per member ` +
        [...perMember].map(([m, n]) => `${m} ${n}`).join(", ") +
        `; ${duplicates} duplicates; ${handOvers} ownership hand-overs; ${overlaps.length} overlaps; timeline: ${timeline.join(", ")}`,
    );
    expect(overlaps.slice(0, 5)).toEqual([]);
    expect(seen.size).toBe(TOTAL);
    for (const r of records) expect(r.offset).toBeLessThan(ends.find((p) => p.partition === r.partition)!.offset);
    for (const member of ["A", "B", "C"]) expect(perMember.get(member) ?? 0, member).toBeGreaterThan(0);
    expect(handOvers).toBeGreaterThan(0);
  }, 180_000);
});
