// Retry tiers under faults on the 3-broker cluster: a Consumer Server process killed with SIGKILL while
// messages wait in a retry tier, and a broker stopped and started again during a run. Nothing is lost.
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { load, type Component } from "ekafka";
import { Config } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { brokers, cluster, localCluster, uniqueName } from "./support/env.js";
import { createTopic, fillTopic, waitForTopic } from "./support/raw.js";
import { ensureBrokerUp } from "./support/brokers.js";
import { compileFixtures, RecordFile, removeCompiled, startChild, type Child } from "./support/child.js";
import { sleep, until } from "./support/wait.js";

const CHILD = "test/e2e/fixtures/retry-tiers/tier-child.ts";
let outDir: string | undefined;

beforeAll(async () => {
  outDir = await compileFixtures(CHILD);
}, 300_000);

afterAll(() => removeCompiled(outDir));

/** The config of server `s1` with retry tiers on `topic`, writing them with producer `retry`. */
function tierToml(topic: string, groupID: string, delays: string[]): string {
  return `
[kafka]
brokers = ${JSON.stringify(brokers)}
[kafka.client]
timeout = "10s"
[kafka.producers.retry]
requiredAcks = -1
batchTimeout = "1ms"
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
commitInterval = "1s"
heartbeatInterval = "500ms"
sessionTimeout = "6s"
rebalanceTimeout = "60s"  # also max.poll.interval.ms: a write held up by the outage must not cost the assignment
maxWait = "100ms"
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
retryProducer = "retry"
retryDelays = ${JSON.stringify(delays)}
`;
}

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

describe.runIf(localCluster)("retry tiers and a broker stopped and started again", () => {
  let stoppedBroker: number | undefined;
  const open: Component[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((c) => c.close()));
    if (stoppedBroker === undefined) return;
    const id = stoppedBroker;
    stoppedBroker = undefined;
    await ensureBrokerUp(id);
  }, 120_000);

  it("loses nothing: every message is handled, the failing ones after two tiers", async () => {
    const before = 3000;
    const after = 300; // written once the broker is back, so that tiers are also used after the restart
    const total = before + after;
    const topic = uniqueName("e2e-tiers-broker");
    const groupID = uniqueName("g-tiers-broker");
    const cfg = new Config().loadString(tierToml(topic, groupID, ["1s", "2s"]));
    const kafka = load("kafka", cfg).build();
    open.push(kafka);
    await kafka.client().createTopics([{ topic, numPartitions: 3, replicationFactor: 3, config: { "min.insync.replicas": "2" } }]);
    await waitForTopic(topic, 3);
    const values = Array.from({ length: total }, (_, i) => (i % 10 === 0 ? `f${i}` : `m${i}`));
    await fillTopic(topic, values.slice(0, before));

    const server = consumerserver
      .load("kafkaConsumerServers.s1", cfg)
      .build(consumerserver.withEkafka(kafka), consumerserver.withRetry({ attempts: 0 }));
    const ok = new Map<string, { attempt: number; topic: string }>();
    let calls = 0;
    const callsFrom = new Map<string, number>();
    server.onEachMessage(async (ctx, message) => {
      calls++;
      callsFrom.set(message.topic, (callsFrom.get(message.topic) ?? 0) + 1);
      await sleep(2); // long enough for the outage to fall within the run
      const value = message.valueString();
      if (value.startsWith("f") && ctx.attempt < 3) throw new consumerserver.RecoverableError(`${value}: attempt ${ctx.attempt} failed`);
      ok.set(value, { attempt: ctx.attempt, topic: message.topic });
    });
    const started = server.start();
    let outcome: unknown;
    started.catch((error: unknown) => {
      outcome = error;
    });

    await until(
      () => ok.size >= total * 0.2 || outcome !== undefined,
      90_000,
      () => `${ok.size} handled before the outage`,
    );
    const [info] = await kafka.client().metadata(`${topic}.retry.1`);
    const victim = info!.partitions.find((p) => p.partition === 0)!.leader!;
    stoppedBroker = victim;
    const handledAtStop = ok.size;
    await cluster("stop-broker", String(victim));
    await sleep(5000);
    await ensureBrokerUp(victim);
    stoppedBroker = undefined;
    const handledAtRestart = ok.size;
    await fillTopic(topic, values.slice(before));
    await until(
      () => ok.size === total || outcome !== undefined,
      180_000,
      () => `${ok.size} of ${total} handled after the restart`,
    );
    await server.gracefulStop();
    await started;

    console.log(
      `retry tiers, broker ${victim} (leader of ${topic}.retry.1[0]) stopped at ${handledAtStop} handled, back at ${handledAtRestart}; ` +
        `all ${total} handled with ${calls} handler calls (${[...callsFrom].map(([t, n]) => `${t.slice(topic.length) || "topic"}: ${n}`).join(", ")}; ` +
        `without duplicates ${total + (total / 10) * 2})`,
    );
    expect(ok.size).toBe(total);
    for (const [value, { attempt, topic: from }] of ok) {
      if (value.startsWith("f")) expect([value, attempt, from]).toEqual([value, 3, `${topic}.retry.2`]);
    }
  }, 300_000);
});
