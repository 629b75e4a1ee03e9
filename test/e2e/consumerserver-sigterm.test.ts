// A Consumer Server in its own process, stopped with SIGTERM in the middle of 10,000 messages and started
// again: every message is handled at least once, and only messages in flight at the signal may be
// handled twice.
//
// The child (test/e2e/fixtures/consumerserver/sigterm-child.ts) is compiled by
// test/support/compile-fixture.ts: Node 20 cannot run TypeScript.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { warningsIn } from "./support/logs.js";
import { compileFixtures, removeCompiled, startChild } from "./support/child.js";
import { consumerServerToml } from "./support/scenario.js";
import { uniqueName } from "./support/env.js";
import { createTopic, fillTopic } from "./support/raw.js";

const childSource = "test/e2e/fixtures/consumerserver/sigterm-child.ts";
let outDir: string;

beforeAll(async () => {
  outDir = await compileFixtures(childSource);
}, 120_000);

afterAll(() => removeCompiled(outDir));

interface ChildRun {
  code: number | string;
  /** Values in the order they were handled. */
  handled: string[];
  /** Handlers in flight when the child got SIGTERM. */
  inFlightAtSignal: number;
  lastLine: string | undefined;
  stderr: string;
}

/** Runs the child and sends SIGTERM once `signalWhen(handled)` is true. */
async function runChild(toml: string, signalWhen: (handled: readonly string[]) => boolean, childMode = "message"): Promise<ChildRun> {
  const handled: string[] = [];
  let inFlightAtSignal = Number.NaN;
  let lastLine: string | undefined;
  let signalled = false;
  const child = startChild(
    outDir,
    childSource,
    { CHILD_TOML: toml, CHILD_MODE: childMode },
    {
      maxMs: 100_000,
      onLine: (line, self) => {
        lastLine = line;
        if (line.startsWith("handled ")) handled.push(line.slice("handled ".length));
        else if (line.startsWith("in-flight ")) inFlightAtSignal = Number(line.slice("in-flight ".length));
        if (!signalled && signalWhen(handled)) {
          signalled = true;
          self.kill("SIGTERM");
        }
      },
    },
  );
  const code = await child.exited;
  return { code, handled, inFlightAtSignal, lastLine, stderr: child.stderr() };
}

describe("a Consumer Server process stopped with SIGTERM and started again", () => {
  it.each([
    ["one message at a time", "", "message"],
    ["partition concurrency", "partitionConcurrency = true", "message"],
    // Every message has its own key here (the raw producer's key is its value): up to 100 in flight.
    ["key ordering, 100 in flight", 'ordering = "key"\nconcurrency = 100', "message"],
    // onEachBatch stopped mid-batch: what was resolved is not handled again, what was not is.
    ["onEachBatch", "batchSize = 100", "batch"],
    ["onEachBatch, partition concurrency", "batchSize = 100\npartitionConcurrency = true", "batch"],
  ])(
    "handles all 10,000 messages at least once, duplicates bounded by the handlers in flight (%s)",
    async (mode, serverKeys, childMode) => {
      const total = 10_000;
      const topic = uniqueName("e2e-cs-sigterm");
      const groupID = uniqueName("g-cs-sigterm");
      await createTopic(topic, 3, 3);
      const values = Array.from({ length: total }, (_, i) => `m${i}`);
      await fillTopic(topic, values);
      const toml = consumerServerToml(topic, groupID, serverKeys);
      const first = await runChild(toml, (handled) => handled.length >= total / 2, childMode);
      expect(first.code, first.stderr.slice(-2000)).toBe(0);
      expect(first.lastLine).toBe("stopped");
      expect(first.handled.length).toBeGreaterThanOrEqual(total / 2);
      expect(first.handled.length).toBeLessThan(total);

      // Stop the second run once every message was handled by one run or the other.
      const union = new Set(first.handled);
      let counted = 0;
      const second = await runChild(
        toml,
        (handled) => {
          for (const value of handled.slice(counted)) union.add(value);
          counted = handled.length;
          return union.size === total;
        },
        childMode,
      );
      expect(second.code, second.stderr.slice(-2000)).toBe(0);

      const all = [...first.handled, ...second.handled];
      const unique = new Set(all);
      const duplicates = all.length - unique.size;
      const firstSet = new Set(first.handled);
      const duplicated = [...new Set(second.handled.filter((value) => firstSet.has(value)))];
      console.log(
        `SIGTERM (${mode}): first run handled ${first.handled.length} with ${first.inFlightAtSignal} in flight at the signal; ` +
          `second run handled ${second.handled.length}; ${unique.size} of ${total} distinct, ${duplicates} duplicates` +
          (duplicated.length > 0 ? ` (${duplicated.slice(0, 10).join(", ")})` : "") +
          `; the first run's warnings: ${warningsIn(first.stderr.split("\n")).slice(0, 10).join(" | ") || "none"}`,
      );
      expect(unique.size).toBe(total);
      expect([...unique].sort()).toEqual([...values].sort());
      expect(Number.isInteger(first.inFlightAtSignal)).toBe(true);
      expect(duplicates).toBeLessThanOrEqual(first.inFlightAtSignal);
      // Key ordering: the handlers in flight finish and the committable prefix is committed on the way out.
      if (serverKeys.includes('ordering = "key"')) expect(duplicates).toBe(0);
    },
    120_000,
  );
});
