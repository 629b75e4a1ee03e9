// Consumer Server with transactionalProducer on the 3-broker cluster: each message handled in a
// transaction of that producer, the handler's writes through ctx.producer and the message's offset
// committed together; a failed attempt's writes aborted; the build-time refusals.
import { afterEach, describe, expect, it } from "vitest";
import { load, type Component } from "ekafka";
import { ConfigError, type Config } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { RecoverableError } from "ekafka/consumerserver";
import { componentsClosedAfterEach, e2eConfig, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";
import { countValues, exactlyOnceReport, readWhole } from "./support/transactions.js";
import { until } from "./support/wait.js";

const components = componentsClosedAfterEach();
const servers: consumerserver.ConsumerServer[] = [];
afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
});

/** Input and output topics, producer `in` writing the input, server `s1` copying it through transactional producer `tx`. */
function scenario(serverKeys = "", extra = "") {
  const input = uniqueName("e2e-eos-in");
  const output = uniqueName("e2e-eos-out");
  const groupID = uniqueName("g-eos");
  const toml = (txid: string) => `
[kafka.producers.in]
topic = "${input}"
batchTimeout = "5ms"
[kafka.producers.tx]
topic = "${output}"
transactionalID = "${txid}"
[kafka.consumerGroups.cg1]
topic = "${input}"
groupID = "${groupID}"
startOffset = -2
${FAST_GROUP}
${extra}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
transactionalProducer = "tx"
${serverKeys}
`;
  /** A server member; each has a transactionalID of its own, as each replica must. */
  const member = () => {
    const cfg: Config = e2eConfig(toml(uniqueName("txid")));
    const kafka: Component = components.track(load("kafka", cfg).build());
    const server = consumerserver.load("kafkaConsumerServers.s1", cfg).build(consumerserver.withEkafka(kafka));
    servers.push(server);
    return { kafka, server };
  };
  return { input, output, groupID, member };
}

const values = (count: number) => Array.from({ length: count }, (_, i) => `v${i}`);

async function writeInput(kafka: Component, all: string[]): Promise<void> {
  for (let i = 0; i < all.length; i += 500)
    await kafka.producer("in").writeMessages(...all.slice(i, i + 500).map((value) => ({ key: value, value })));
}

/** The handler: copies the message to the output through the transaction's producer. */
const copy = async (ctx: consumerserver.MessageContext, message: { valueString(): string | null }) => {
  await ctx.producer!.writeMessages({ value: `out-${message.valueString()!}` });
};

describe("Consumer Server, transactionalProducer", () => {
  it("copies each input exactly once through ctx.producer and commits the offsets with the transactions", async () => {
    const s = scenario();
    await createTopic(s.input, 3, 3);
    await createTopic(s.output, 3, 3);
    const { kafka, server } = s.member();
    let handled = 0;
    server.onEachMessage(async (ctx, message) => {
      await copy(ctx, message);
      handled++;
    });
    const run = server.start();
    const input = values(300);
    await writeInput(kafka, input);
    await until(
      () => handled >= 300,
      60_000,
      () => `${handled} of 300 handled`,
    );
    await server.gracefulStop();
    await run;

    const counts = countValues(await readWhole(s.output, 3, "read_committed"));
    expect(
      exactlyOnceReport(
        input.map((v) => `out-${v}`),
        counts,
      ),
    ).toEqual({ missing: [], duplicated: [], unexpected: [] });
    const committed = await kafka.client().offsetFetch(s.groupID, s.input);
    const total = committed.reduce((sum, p) => sum + p.offset, 0);
    // Each partition's committed offset is past its last message (plus the transaction markers of the input: none, it is not transactional).
    expect(total).toBe(300);
  });

  it("commits the offset after each message (the next one to read): a restarted member re-reads nothing that was committed", async () => {
    const s = scenario();
    await createTopic(s.input, 3, 3);
    await createTopic(s.output, 3, 3);
    const first = s.member();
    let handled = 0;
    first.server.onEachMessage(async (ctx, message) => {
      await copy(ctx, message);
      handled++;
    });
    const firstRun = first.server.start();
    const input = values(30);
    await writeInput(first.kafka, input);
    await until(
      () => handled >= 30,
      60_000,
      () => `${handled} of 30 handled`,
    );
    await first.server.gracefulStop();
    await firstRun;

    // The restart: a marker written after, on every partition; the new member must handle the markers alone.
    const second = s.member();
    const seen: string[] = [];
    second.server.onEachMessage(async (ctx, message) => {
      await copy(ctx, message);
      seen.push(message.valueString());
    });
    const secondRun = second.server.start();
    const markers = ["after-0", "after-1", "after-2"];
    for (const [partition, value] of markers.entries()) await second.kafka.producer("in").writeMessages({ value, partition });
    await until(
      () => markers.every((m) => seen.includes(m)),
      60_000,
      () => `the restarted member handled ${JSON.stringify(seen)}`,
    );
    await second.server.gracefulStop();
    await secondRun;
    console.log(`restart after committed transactions: the restarted member handled ${JSON.stringify(seen)}`);
    expect([...seen].sort()).toEqual(markers);
    const counts = countValues(await readWhole(s.output, 3, "read_committed"));
    expect(
      exactlyOnceReport(
        [...input, ...markers].map((v) => `out-${v}`),
        counts,
      ),
    ).toEqual({ missing: [], duplicated: [], unexpected: [] });
  });

  it("aborts the writes of a failed attempt: read_committed sees only the retried or dead-lettered outcome, once", async () => {
    const s = scenario(`deadLetterProducer = "tx"`);
    await createTopic(s.input, 1, 3);
    await createTopic(s.output, 1, 3);
    const { kafka, server } = s.member();
    const attempts = new Map<string, number>();
    server.onEachMessage(async (ctx, message) => {
      const value = message.valueString();
      attempts.set(value, (attempts.get(value) ?? 0) + 1);
      await copy(ctx, message); // written, then aborted when the call throws
      if (value === "v3" && ctx.attempt === 1) throw new RecoverableError("transient"); // retried in place: succeeds on attempt 2
      if (value === "v7") throw new Error("poison"); // not recoverable: dead-lettered, in the same transaction as its offset
    });
    const run = server.start();
    const input = values(10);
    await writeInput(kafka, input);
    await until(
      () => (attempts.get("v9") ?? 0) >= 1,
      60_000,
      () => `attempts so far: ${JSON.stringify([...attempts])}`,
    );
    await server.gracefulStop();
    await run;

    // The dead letter goes to the transactional producer's topic (its configured one), in the transaction of v7's offset.
    const committedOut = countValues(await readWhole(s.output, 1, "read_committed"));
    const expected = [...input.filter((v) => v !== "v7").map((v) => `out-${v}`), "v7"];
    expect(exactlyOnceReport(expected, committedOut)).toEqual({ missing: [], duplicated: [], unexpected: [] });
    // Every handler call's write reached the log, the aborted ones too: a read_uncommitted reader sees one
    // copy per call. v3 is called at least twice (its failed first attempt; messages handled before a
    // failure in the same transaction are handled again, so possibly more), v7 once.
    const uncommitted = countValues(await readWhole(s.output, 1, "read_uncommitted"));
    expect(attempts.get("v3")).toBeGreaterThanOrEqual(2);
    expect(uncommitted.get("out-v3")).toBe(attempts.get("v3"));
    expect(attempts.get("v7")).toBe(1);
    expect(uncommitted.get("out-v7")).toBe(1);
    const committed = await kafka.client().offsetFetch(s.groupID, s.input);
    expect(committed.map((p) => p.offset)).toEqual([10]);
  });

  it("two servers and a rebalance under load: each input exactly once in the output", async () => {
    const s = scenario();
    await createTopic(s.input, 6, 3);
    await createTopic(s.output, 3, 3);
    const first = s.member();
    let handled = 0;
    const handler = async (ctx: consumerserver.MessageContext, message: { valueString(): string | null }) => {
      await copy(ctx, message);
      handled++;
    };
    first.server.onEachMessage(handler);
    const firstRun = first.server.start();
    const input = values(3000);
    const writing = writeInput(first.kafka, input);
    await until(
      () => handled > 500,
      60_000,
      () => `${handled} handled before the second member`,
    );
    const second = s.member();
    second.server.onEachMessage(handler);
    const secondRun = second.server.start();
    await until(
      () => handled > 1500,
      120_000,
      () => `${handled} handled after the second member joined`,
    );
    await first.server.gracefulStop(); // its partitions move to the second member, mid-stream
    await firstRun;
    await writing;
    const committed = async () =>
      (await second.kafka.client().offsetFetch(s.groupID, s.input)).reduce((sum, p) => sum + Math.max(0, p.offset), 0);
    await until(async () => (await committed()) >= 3000, 120_000, "the group's committed offsets to reach 3,000");
    await second.server.gracefulStop();
    await secondRun;

    const counts = countValues(await readWhole(s.output, 3, "read_committed"));
    const report = exactlyOnceReport(
      input.map((v) => `out-${v}`),
      counts,
    );
    console.log(
      `exactly-once, rebalance under load: ${handled} handler calls for 3,000 inputs; missing ${report.missing.length}, duplicated ${report.duplicated.length}`,
    );
    expect(report).toEqual({ missing: [], duplicated: [], unexpected: [] });
  });

  it("refuses at build time what it cannot run exactly-once, naming the key", () => {
    const refusal = (serverKeys: string, extra = "", handler: "message" | "batch" = "message") => {
      const s = scenario(serverKeys, extra);
      const { server } = s.member();
      if (handler === "message") server.onEachMessage(() => undefined);
      else server.onEachBatch(() => undefined);
      try {
        server.init();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).message;
      }
      throw new Error(`init() accepted ${serverKeys} ${extra}`);
    };
    expect(refusal("", "", "batch")).toMatch(/kafkaConsumerServers\.s1\.transactionalProducer: is for onEachMessage, not onEachBatch/);
    expect(refusal(`ordering = "key"`)).toMatch(/kafkaConsumerServers\.s1\.ordering: must be "partition"/);
    expect(refusal(`concurrency = 4`)).toMatch(/kafkaConsumerServers\.s1\.concurrency: must be 1/);
    expect(refusal(`partitionConcurrency = true`)).toMatch(/kafkaConsumerServers\.s1\.partitionConcurrency/);
    expect(refusal(`retryDelays = ["1s"]\nretryProducer = "in"`)).toMatch(/kafkaConsumerServers\.s1\.retryDelays/);
    const s = scenario();
    const cfgNoId = e2eConfig(`
[kafka.producers.plain]
topic = "x"
[kafka.consumerGroups.cg1]
topic = "${s.input}"
groupID = "${s.groupID}"
isolationLevel = "read_uncommitted"
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
transactionalProducer = "plain"
[kafka.producers.txp]
topic = "x"
transactionalID = "${uniqueName("txid")}"
[kafkaConsumerServers.s2]
consumerGroupName = "cg1"
transactionalProducer = "nope"
[kafkaConsumerServers.s3]
consumerGroupName = "cg1"
transactionalProducer = "txp"
`);
    const kafka = components.track(load("kafka", cfgNoId).build());
    const init = (name: string) => {
      const server = consumerserver.load(`kafkaConsumerServers.${name}`, cfgNoId).build(consumerserver.withEkafka(kafka));
      server.onEachMessage(() => undefined);
      return () => server.init();
    };
    expect(init("s1")).toThrow(/kafkaConsumerServers\.s1\.transactionalProducer: kafka\.producers\.plain has no transactionalID/);
    expect(init("s2")).toThrow(/kafkaConsumerServers\.s2\.transactionalProducer: names no kafka\.producers entry; configured: plain, txp/);
    expect(init("s3")).toThrow(/kafka\.consumerGroups\.cg1\.isolationLevel: must be "read_committed"/);
  });
});
