// Retry tiers and a SIGKILL: a Consumer Server process killed while messages wait in a retry tier, then
// started again. Nothing is lost, nothing is handled more than twice. (A broker stopped during a run with
// retry tiers: retry-tiers-faults.test.ts.)
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "./support/env.js";
import { createTopic, fillTopic } from "./support/raw.js";
import { compileFixtures, RecordFile, removeCompiled, startChild, type Child } from "./support/child.js";
import { tierToml } from "./support/retry-tiers.js";
import { until } from "./support/wait.js";

const CHILD = "test/e2e/fixtures/retry-tiers/tier-child.ts";
let outDir: string | undefined;

beforeAll(async () => {
  outDir = await compileFixtures(CHILD);
}, 300_000);

afterAll(() => removeCompiled(outDir));

/** A record line "<member> <ok|fail> <value> <attempt> <topic>". */
function parse(line: string): { member: string; ok: boolean; value: string; attempt: number; topic: string } {
  const [member = "", outcome, value = "", attempt, topic = ""] = line.split(" ");
  return { member, ok: outcome === "ok", value, attempt: Number(attempt), topic };
}

describe("retry tiers and a SIGKILL", () => {
  it("a server killed while messages wait in a retry tier, started again, handles each of them; none is lost, and none is handled more than twice", async () => {
    const total = 2000;
    const topic = uniqueName("e2e-tiers-kill");
    const groupID = uniqueName("g-tiers-kill");
    await createTopic(topic, 3, 3);
    const values = Array.from({ length: total }, (_, i) => (i % 10 === 0 ? `f${i}` : `m${i}`));
    const failing = values.filter((v) => v.startsWith("f"));
    await fillTopic(topic, values);
    const toml = tierToml(topic, groupID, ["10s"]);
    const runId = uniqueName("tkill");
    const firstFile = new RecordFile(join(outDir!, `${runId}-first.records`));
    const secondFile = new RecordFile(join(outDir!, `${runId}-second.records`));
    const lines: ReturnType<typeof parse>[] = [];
    const okValues = new Set<string>();
    const take = (file: RecordFile) => {
      for (const line of file.poll().map(parse)) {
        lines.push(line);
        if (line.ok) okValues.add(line.value);
      }
    };
    const children: Child[] = [];
    try {
      const killed = startChild(outDir!, CHILD, { CHILD_TOML: toml, RECORD_FILE: firstFile.path, MEMBER: "first" });
      children.push(killed);
      const failedFirst = new Set<string>();
      await until(
        () => {
          take(firstFile);
          for (const line of lines) if (!line.ok) failedFirst.add(line.value);
          return failedFirst.size === failing.length;
        },
        90_000,
        () => `first run: ${failedFirst.size} of ${failing.length} failed once; output: ${killed.output().slice(-2000)}`,
        5,
      );
      killed.kill("SIGKILL");
      expect(await killed.exited).toBe("SIGKILL");
      take(firstFile);
      const waiting = failing.filter((v) => !okValues.has(v)).length;

      const restarted = startChild(outDir!, CHILD, { CHILD_TOML: toml, RECORD_FILE: secondFile.path, MEMBER: "second" });
      children.push(restarted);
      await until(
        () => {
          take(secondFile);
          return okValues.size === total;
        },
        120_000,
        () =>
          `${okValues.size} of ${total} handled; missing ${values
            .filter((v) => !okValues.has(v))
            .slice(0, 10)
            .join(",")}; second run: ${restarted.output().slice(-2000)}`,
      );
      restarted.kill("SIGTERM");
      expect(await restarted.exited, restarted.output().slice(-2000)).toBe(0);
      take(secondFile);

      const oks = lines.filter((l) => l.ok);
      const failedRetriesOk = oks.filter((l) => l.value.startsWith("f"));
      console.log(
        `retry tiers, SIGKILL: ${failing.length} messages failed once in the first run, ${waiting} of them still waiting in the tier at the kill; ` +
          `after the restart all ${total} were handled (${oks.length - total} duplicates)`,
      );
      expect(waiting).toBeGreaterThan(0); // the kill landed while messages waited in the tier
      expect(okValues.size).toBe(total);
      // A message is handled again only when the first run handled it without committing, or, for a failing
      // one, when the second run's re-read put it into the tier once more beside the first run's record:
      // never more than twice.
      const times = new Map<string, number>();
      for (const line of oks) times.set(line.value, (times.get(line.value) ?? 0) + 1);
      expect([...times].filter(([, n]) => n > 2).slice(0, 10)).toEqual([]);
      // Each failing message succeeded only from the retry topic, on its second attempt.
      for (const line of failedRetriesOk) expect([line.attempt, line.topic]).toEqual([2, `${topic}.retry.1`]);
    } finally {
      for (const child of children) child.kill("SIGKILL");
    }
  }, 240_000);
});
