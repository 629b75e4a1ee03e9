// A Consumer Server with transactionalProducer in its own process, copying its input to an output topic
// through ctx.producer (test/e2e/fixtures/consumerserver/exactly-once-child.ts): SIGKILLed mid-stream and
// restarted, or frozen (SIGSTOP) past its session timeout while another member takes its partitions.
// A read_committed reader of the output sees each input exactly once either way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFixtures, removeCompiled, startChild, type Child } from "./support/child.js";
import { FAST_GROUP } from "./support/component.js";
import { brokers, uniqueName } from "./support/env.js";
import { createTopic, fillTopic } from "./support/raw.js";
import { countValues, exactlyOnceReport, readWhole } from "./support/transactions.js";
import { until } from "./support/wait.js";

const childSource = "test/e2e/fixtures/consumerserver/exactly-once-child.ts";
let outDir: string;

beforeAll(async () => {
  outDir = await compileFixtures(childSource);
}, 120_000);

afterAll(() => removeCompiled(outDir));

/** Input and output topics (3 partitions each), the input filled with `total` values, and the TOML of a member. */
async function scenario(total: number) {
  const input = uniqueName("e2e-eos-proc-in");
  const output = uniqueName("e2e-eos-proc-out");
  const groupID = uniqueName("g-eos-proc");
  await createTopic(input, 3, 3);
  await createTopic(output, 3, 3);
  const values = Array.from({ length: total }, (_, i) => `m${i}`);
  await fillTopic(input, values);
  /** A member's TOML: its transactionalID stays the same across its restarts, as a replica's does. */
  const toml = (txid: string) => `
[kafka]
brokers = ${JSON.stringify(brokers)}
[kafka.producers.tx]
topic = "${output}"
transactionalID = "${txid}"
transactionTimeout = "20s"
writeTimeout = "20s"
[kafka.consumerGroups.cg1]
topic = "${input}"
groupID = "${groupID}"
startOffset = -2
${FAST_GROUP}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
transactionalProducer = "tx"
`;
  return { input, output, values, toml };
}

/** A running child and the values it has handled so far. */
interface Member {
  child: Child;
  handled: string[];
  lastLine(): string | undefined;
  /** Throws, with its output's end, when the child has exited: a wait on it ends at once. */
  alive(): true;
}

function startMember(toml: string, delayMs: number, afterWriteMs = 0, holdAt = 0, freezeAt = 0): Member {
  const handled: string[] = [];
  let last: string | undefined;
  const child = startChild(
    outDir,
    childSource,
    {
      CHILD_TOML: toml,
      CHILD_DELAY_MS: String(delayMs),
      CHILD_AFTER_WRITE_MS: String(afterWriteMs),
      CHILD_HOLD_AT: String(holdAt),
      CHILD_FREEZE_AT: String(freezeAt),
    },
    {
      maxMs: 150_000,
      onLine: (line) => {
        last = line;
        if (line.startsWith("handled ")) handled.push(line.slice("handled ".length));
      },
    },
  );
  const alive = (): true => {
    if (child.process.exitCode === null && child.process.signalCode === null) return true;
    throw new Error(`the child exited (${child.process.exitCode ?? child.process.signalCode}): ${child.output().slice(-2000)}`);
  };
  return { child, handled, lastLine: () => last, alive };
}

const expectedOutput = (values: readonly string[]) => values.map((v) => `out-${v}`);

describe("a Consumer Server process with transactionalProducer", () => {
  it("SIGKILLed mid-stream 3 times and restarted: read_committed sees each of 3,000 inputs exactly once, read_uncommitted more records (the aborted writes)", async () => {
    const total = 3000;
    const s = await scenario(total);
    const toml = s.toml(uniqueName("txid-kill"));
    const handledByRun: number[] = [];
    const uncommittedGap = async () =>
      (await readWhole(s.output, 3, "read_uncommitted")).length - (await readWhole(s.output, 3, "read_committed")).length;
    for (let kill = 0; kill < 3; kill++) {
      // Records in the log that read_committed does not show: the aborted writes of the runs killed before.
      const abortedBefore = await uncommittedGap();
      // The 400th handler call of this run writes its copy and never returns, so its transaction stays
      // open; the kill comes once that transaction's writes are in the log (more records than
      // read_committed shows, beyond the earlier aborted ones): they must be aborted, never seen committed.
      const member = startMember(toml, 0, 0, 400);
      await until(
        () => member.alive() && member.lastLine()?.startsWith("holding ") === true,
        90_000,
        () => `run ${kill + 1}: ${member.handled.length} handled; ${member.child.stderr().slice(-1000)}`,
      );
      let gap = abortedBefore;
      await until(
        async () => (gap = await uncommittedGap()) > abortedBefore,
        30_000,
        () => `run ${kill + 1}: the open transaction's writes never showed in the log (uncommitted gap ${gap}, ${abortedBefore} before)`,
        200,
      );
      member.child.kill("SIGKILL");
      expect(await member.child.exited).toBe("SIGKILL");
      handledByRun.push(member.handled.length + 1);
    }
    // The last run goes to the end and stops gracefully (its open transaction is committed on the way out).
    const last = startMember(toml, 0);
    const committedOutput = async () => countValues(await readWhole(s.output, 3, "read_committed"));
    // Every input's copy is committed (the reader stops at the last stable offset: no transaction open before it).
    let counts = new Map<string, number>();
    await until(
      async () => last.alive() && (counts = await committedOutput()).size >= total,
      90_000,
      () => `the output's committed copies: ${counts.size} of ${total} (last run handled ${last.handled.length})`,
      500,
    );
    last.child.kill("SIGTERM");
    expect(await last.child.exited, last.child.stderr().slice(-2000)).toBe(0);
    expect(last.lastLine()).toBe("stopped");
    handledByRun.push(last.handled.length);

    counts = await committedOutput();
    const report = exactlyOnceReport(expectedOutput(s.values), counts);
    const uncommitted = await readWhole(s.output, 3, "read_uncommitted");
    const calls = handledByRun.reduce((sum, n) => sum + n, 0);
    console.log(
      `SIGKILL ×3: handler calls per run ${handledByRun.join(", ")} (${calls} in all for ${total} inputs); ` +
        `read_committed: ${[...counts.values()].reduce((a, b) => a + b, 0)} records, ${report.missing.length} missing, ${report.duplicated.length} duplicated, ${report.unexpected.length} unexpected; ` +
        `read_uncommitted: ${uncommitted.length} records`,
    );
    expect(report).toEqual({ missing: [], duplicated: [], unexpected: [] });
    expect(calls).toBeGreaterThan(total);
    expect(uncommitted.length).toBeGreaterThan(total);
  }, 300_000);

  it("frozen (SIGSTOP) past its session timeout while another member takes over, then SIGCONT: its stale transaction does not commit, 2,000 inputs exactly once", async () => {
    const total = 2000;
    const s = await scenario(total);
    // The 200th handler call writes its copy and stops its own process: the freeze always leaves that
    // call's transaction open. (A SIGSTOP sent from here could land just after a commit, with nothing open.)
    const frozen = startMember(s.toml(uniqueName("txid-frozen")), 5, 0, 0, 200);
    let frozenValue: string | undefined;
    await until(
      () => frozen.alive() && (frozenValue = frozen.lastLine()?.match(/^freezing (\S+)$/)?.[1]) !== undefined,
      90_000,
      () => `${frozen.handled.length} handled before the freeze`,
    );
    const frozenAt = Date.now();
    const handledWhenFrozen = frozen.handled.length;
    const other = startMember(s.toml(uniqueName("txid-other")), 0);
    // The other member gets every partition once the frozen one's session has timed out: it handles again
    // the message the frozen one was handling (in the transaction the freeze left open). Then the frozen
    // one resumes, while the other goes on to the end.
    await until(
      () => other.alive() && other.handled.includes(frozenValue!),
      90_000,
      () => `the other member handled ${other.handled.length}, not yet ${frozenValue}`,
    );
    const frozenFor = Date.now() - frozenAt;
    frozen.child.kill("SIGCONT");
    const frozenExit = await frozen.child.exited;
    const committedOutput = async () => countValues(await readWhole(s.output, 3, "read_committed"));
    let counts = new Map<string, number>();
    await until(
      async () => other.alive() && (counts = await committedOutput()).size >= total,
      90_000,
      () => `the output's committed copies: ${counts.size} of ${total}`,
      500,
    );
    other.child.kill("SIGTERM");
    expect(await other.child.exited, other.child.stderr().slice(-2000)).toBe(0);
    counts = await committedOutput();
    const report = exactlyOnceReport(expectedOutput(s.values), counts);
    console.log(
      `SIGSTOP: frozen member handled ${handledWhenFrozen} before the freeze (${(frozenFor / 1000).toFixed(1)} s), ${frozen.handled.length} in all, exited ${frozenExit} with "${frozen.lastLine()}"; ` +
        `the other handled ${other.handled.length}; read_committed: ${report.missing.length} missing, ${report.duplicated.length} duplicated, ${report.unexpected.length} unexpected`,
    );
    // Its transaction cannot commit: the group has moved on (unknown member, stale generation) or the
    // coordinator aborted it (fenced). Its writes cannot have timed out first: the freeze ends once the
    // other member took over, well within writeTimeout (20 s).
    expect(frozenExit).not.toBe(0);
    expect(frozen.lastLine()).toMatch(/^failed .*(UNKNOWN_MEMBER|ILLEGAL_GENERATION|fenced|generation|member)/i);
    expect(report).toEqual({ missing: [], duplicated: [], unexpected: [] });
  }, 300_000);
});
