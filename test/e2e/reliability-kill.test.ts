// Reliability: a Consumer Server process killed with SIGKILL in the middle of 10,000 messages, then
// started again. Nothing is lost, and the messages handled twice are at most those the killed process
// had handled but not yet committed — measured by reading the group's committed offsets right after the
// kill and counting the handled records at or beyond them.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Component } from "ekafka";
import { buildComponent, consumerServerToml } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { createTopic, fillTopic } from "./support/raw.js";
import { compileFixtures, RecordFile, removeCompiled, startChild, waitFor, type Child } from "./fixtures/reliability/support.js";

const CHILD = "test/e2e/fixtures/reliability/member-child.ts";
let outDir: string | undefined;
let admin: Component | undefined;

beforeAll(async () => {
  outDir = await compileFixtures(CHILD);
  admin = buildComponent(`[kafka.client]\ntimeout = "10s"`);
}, 120_000);

afterAll(async () => {
  await admin?.close();
  removeCompiled(outDir);
});

/** "partition offset" of a record line "<member> <partition> <offset> <start> <end>". */
function messageId(line: string): { partition: number; offset: number; id: string } {
  const [, partition, offset] = line.split(" ");
  return { partition: Number(partition), offset: Number(offset), id: `${partition}/${offset}` };
}

describe("a Consumer Server process killed with SIGKILL and started again", () => {
  it.each([
    ["one message at a time", ""],
    ["partition concurrency", "partitionConcurrency = true"],
    // Every message has its own key here: 100 in flight, finishing out of order; the committable prefix bounds the re-reads.
    ["key ordering, 100 in flight", 'ordering = "key"\nconcurrency = 100'],
  ])(
    "loses nothing of 10,000 messages, duplicates bounded by what was handled but not committed at the kill (%s)",
    async (mode, serverKeys) => {
      const total = 10_000;
      const topic = uniqueName("e2e-rel-kill");
      const groupID = uniqueName("g-rel-kill");
      await createTopic(topic, 3, 3);
      await fillTopic(
        topic,
        Array.from({ length: total }, (_, i) => `m${i}`),
      );
      const ends = await admin!.client().listOffsets(topic, "latest");
      expect(ends.reduce((sum, p) => sum + p.offset, 0)).toBe(total);

      const toml = consumerServerToml(topic, groupID, serverKeys);
      const runId = uniqueName("kill");
      const firstFile = new RecordFile(join(outDir!, `${runId}-first.records`));
      const secondFile = new RecordFile(join(outDir!, `${runId}-second.records`));
      const first: string[] = [];
      const second: string[] = [];
      const children: Child[] = [];
      try {
        // First run: killed with SIGKILL once 40% of the messages were handled.
        const killed = startChild(outDir!, CHILD, {
          CHILD_TOML: toml,
          RECORD_FILE: firstFile.path,
          MEMBER: "first",
          HANDLER_DELAY_MS: "1",
        });
        children.push(killed);
        await waitFor(
          () => {
            first.push(...firstFile.poll());
            return first.length >= total * 0.4;
          },
          90_000,
          () => `first run handled ${first.length}; output: ${killed.output().slice(-2000)}`,
          5,
        );
        killed.kill("SIGKILL");
        expect(await killed.exited).toBe("SIGKILL");
        // What the group had committed when the process died (a commit still on the wire at the kill
        // can only raise it, which lowers the duplicates: the bound stays a bound).
        const committed = new Map((await admin!.client().offsetFetch(groupID, topic)).map((p) => [p.partition, Math.max(0, p.offset)]));
        first.push(...firstFile.poll()); // the lines written before the kill, all synchronous
        const handledNotCommitted = first.filter((line) => {
          const { partition, offset } = messageId(line);
          return offset >= (committed.get(partition) ?? 0);
        }).length;

        // Second run: until every message was handled by one run or the other, then SIGTERM.
        const union = new Set(first.map((line) => messageId(line).id));
        const restarted = startChild(outDir!, CHILD, { CHILD_TOML: toml, RECORD_FILE: secondFile.path, MEMBER: "second" });
        children.push(restarted);
        await waitFor(
          () => {
            for (const line of secondFile.poll()) {
              second.push(line);
              union.add(messageId(line).id);
            }
            return union.size >= total;
          },
          90_000,
          () => `${union.size} of ${total} handled; second run output: ${restarted.output().slice(-2000)}`,
        );
        restarted.kill("SIGTERM");
        expect(await restarted.exited, restarted.output().slice(-2000)).toBe(0);
        second.push(...secondFile.poll());

        const all = [...first, ...second].map(messageId);
        const distinct = new Set(all.map((m) => m.id));
        const duplicates = all.length - distinct.size;
        const committedText = [...committed].map(([p, o]) => `p${p}@${o}`).join(" ");
        console.log(
          `SIGKILL (${mode}): first run handled ${first.length} of ${total} before the kill; committed then ${committedText}; ` +
            `handled but not committed ${handledNotCommitted}; second run handled ${second.length}; ` +
            `${distinct.size} distinct, ${duplicates} duplicates (bound ${handledNotCommitted})`,
        );
        expect(first.length).toBeLessThan(total); // the kill landed midway
        expect(distinct.size).toBe(total);
        for (const { partition, offset } of all) {
          expect(offset).toBeLessThan(ends.find((p) => p.partition === partition)!.offset);
        }
        expect(duplicates).toBeLessThanOrEqual(handledNotCommitted);
      } finally {
        for (const child of children) child.kill("SIGKILL");
      }
    },
    120_000,
  );
});
