// onEachBatch on the 3-broker cluster: batches of one partition in offset order, progress marked with
// batch.resolve, retries and dead letters of what was not resolved, a hard stop and a rebalance mid-batch,
// and the server interceptors seeing every handled message.
import { describe, expect, it } from "vitest";
import { Message, withServerInterceptor, type Component, type Interceptor } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { RecoverableError, type Batch, type BatchContext } from "ekafka/consumerserver";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { committed } from "./support/group.js";
import { serverScenario } from "./support/scenario.js";
import { createTopic } from "./support/raw.js";
import { until } from "./support/wait.js";

const components = componentsClosedAfterEach();

/** A topic, a group read through `c1` (as in Go), a producer `p1`, and server `s1` with `serverKeys`. */
const scenario = (options: { partitions?: number; serverKeys?: string; extra?: (topic: string, groupID: string) => string } = {}) =>
  serverScenario({
    name: "csb",
    reader: "consumer",
    serverOptions: [consumerserver.withRetry({ backoffMs: 20 })],
    track: components.track,
    ...options,
  });

const writeSpread = (kafka: Component, total: number, partitions = 3) =>
  kafka.producer("p1").writeMessages(...Array.from({ length: total }, (_, i) => ({ partition: i % partitions, value: `m${i}` })));

describe("onEachBatch", () => {
  it.each([
    ["one batch at a time", ""],
    ["partition concurrency", "partitionConcurrency = true"],
  ])("hands over each partition's messages in offset order, at most batchSize at a time, and commits them (%s)", async (_mode, keys) => {
    const s = scenario({ serverKeys: `batchSize = 40\n${keys}` });
    await s.create();
    const total = 900;
    const intercepted: string[] = [];
    const seeHandling: Interceptor = (next) => async (ctx, messages, cmd) => {
      await next(ctx, messages, cmd);
      if (cmd.operation === "HandleBatch") for (const m of messages) intercepted.push(`${m.partition}/${m.offset}`);
    };
    const { kafka, server } = s.build({ kafka: [withServerInterceptor(seeHandling)] });
    await writeSpread(kafka, total);
    const batches: Array<{ partition: number; offsets: number[] }> = [];
    let handled = 0;
    server.onEachBatch((_ctx, batch) => {
      batches.push({ partition: batch.partition, offsets: batch.messages.map((m) => m.offset) });
      expect(batch.messages.every((m) => m.partition === batch.partition && m.topic === s.topic)).toBe(true);
      handled += batch.messages.length;
      if (handled >= total) void server.gracefulStop();
    });
    await server.start();

    expect(handled).toBe(total);
    expect(Math.max(...batches.map((b) => b.offsets.length))).toBeLessThanOrEqual(40);
    expect(batches.length).toBeLessThan(total / 2); // batches, not single messages
    for (const partition of [0, 1, 2]) {
      const offsets = batches.filter((b) => b.partition === partition).flatMap((b) => b.offsets);
      expect(offsets).toEqual(Array.from({ length: total / 3 }, (_, i) => i));
      expect(await committed(kafka, s.groupID, s.topic, partition)).toBe(total / 3);
    }
    // A server interceptor saw every message a handler handled, once.
    expect(new Set(intercepted).size).toBe(total);
    expect(intercepted).toHaveLength(total);
  });

  it("retries only what the handler did not resolve, and commits the whole batch once handled", async () => {
    const s = scenario({ partitions: 1, serverKeys: 'batchSize = 10\nbatchWait = "2s"' });
    await s.create();
    const { kafka, server } = s.build();
    await kafka.producer("p1").writeMessages(...Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })));
    const calls: Array<{ attempt: number; offsets: number[] }> = [];
    server.onEachBatch((ctx: BatchContext, batch: Batch) => {
      calls.push({ attempt: ctx.attempt, offsets: batch.messages.map((m) => m.offset) });
      if (ctx.attempt === 1) {
        batch.resolve(batch.messages[3]!);
        throw new RecoverableError("database busy");
      }
      void server.gracefulStop();
    });
    await server.start();
    expect(calls[0]).toEqual({ attempt: 1, offsets: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(calls[1]).toEqual({ attempt: 2, offsets: [4, 5, 6, 7, 8, 9] });
    expect(await committed(kafka, s.groupID, s.topic, 0)).toBe(10);
  });

  it("a batch failing for good: what was resolved is committed, the rest goes to the dead-letter topic, and consumption goes on", async () => {
    const s = scenario({
      partitions: 1,
      serverKeys: 'batchSize = 6\nbatchWait = "2s"\ndeadLetterProducer = "dlq"',
      extra: (topic, groupID) =>
        `[kafka.producers.dlq]\nbatchTimeout = "5ms"\n[kafka.consumers.dead]\ntopic = "${topic}.DLT"\ngroupID = "${groupID}-dead"\nstartOffset = -2\n${FAST_GROUP}`,
    });
    await s.create();
    await createTopic(`${s.topic}.DLT`, 1, 3);
    const { kafka, server } = s.build();
    await kafka.producer("p1").writeMessages(...["a", "b", "poison", "c", "d", "e", "f", "g"].map((value) => ({ value })));
    const handled: string[] = [];
    server.onEachBatch((_ctx, batch) => {
      for (const message of batch.messages) {
        if (message.valueString() === "poison") throw new Error("cannot parse");
        handled.push(message.valueString());
        batch.resolve(message);
      }
      if (handled.includes("g")) void server.gracefulStop();
    });
    await server.start();
    // The batch holding "poison" stopped there: what came before it was resolved (and committed); poison
    // and the rest of that batch were parked; the batches after it were handled.
    const all = ["a", "b", "poison", "c", "d", "e", "f", "g"];
    expect(handled.slice(0, 2)).toEqual(["a", "b"]);
    expect(handled).toContain("g");
    expect(await committed(kafka, s.groupID, s.topic, 0)).toBe(8);

    const parked: Message[] = [];
    const reader = kafka.consumer("dead");
    while (parked.length < all.length - handled.length) parked.push(await reader.readMessage({ timeoutMs: 30_000 }));
    const values = parked.map((m) => m.valueString());
    expect(values[0]).toBe("poison");
    expect([...handled, ...values].sort()).toEqual([...all].sort()); // each message handled or parked, never both
    expect(values).toEqual(all.slice(2, 2 + values.length)); // the unresolved rest of that one batch, in order
    const h = consumerserver.DEAD_LETTER_HEADERS;
    expect(parked.map((m) => [m.header(h.error), m.header(h.attempts), m.header(h.originalOffset)])).toEqual(
      values.map((_, i) => ["Error: cannot parse", "1", String(2 + i)]),
    );
  });

  it("a hard stop mid-batch commits what was resolved and nothing after it", async () => {
    const s = scenario({ partitions: 1, serverKeys: 'batchSize = 20\nbatchWait = "2s"' });
    await s.create();
    const { kafka, server } = s.build();
    await kafka.producer("p1").writeMessages(...Array.from({ length: 20 }, (_, i) => ({ value: `m${i}` })));
    const resolved: number[] = [];
    let waiting = false;
    server.onEachBatch(async (ctx, batch) => {
      for (const message of batch.messages.slice(0, 7)) {
        batch.resolve(message);
        resolved.push(message.offset);
      }
      waiting = true;
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      batch.resolve(batch.messages.at(-1)!); // after the stop: must not count
    });
    const started = server.start();
    await until(() => waiting, 30_000, "the handler to resolve part of its batch");
    await server.stop();
    await started;
    // The first batch starts at offset 0: the handler resolved its first (up to) 7 messages, in order.
    expect(resolved.length).toBeGreaterThan(0);
    expect(resolved).toEqual(Array.from({ length: resolved.length }, (_, i) => i));
    // What was resolved, and nothing after it (not the message resolved after the stop).
    expect(await committed(kafka, s.groupID, s.topic, 0)).toBe(resolved.length);
  });

  it("a second server joining mid-batch takes partitions over: every message is handled, none skipped, at most a batch per partition (3 × 25) handled twice", async () => {
    const batchSize = 25;
    const s = scenario({ serverKeys: `batchSize = ${batchSize}\npartitionConcurrency = true` });
    await s.create();
    const total = 3000;
    const a = s.build();
    await writeSpread(a.kafka, total);
    const handled = new Map<string, Array<{ partition: number; offset: number }>>([
      ["a", []],
      ["b", []],
    ]);
    const distinct = new Set<string>();
    const handler = (member: string) => async (_ctx: BatchContext, batch: Batch) => {
      for (const message of batch.messages) {
        await new Promise((r) => setTimeout(r, 1));
        handled.get(member)!.push({ partition: message.partition, offset: message.offset });
        distinct.add(`${message.partition}/${message.offset}`);
        batch.resolve(message);
      }
    };
    a.server.onEachBatch(handler("a"));
    const startedA = a.server.start();
    await until(() => distinct.size >= total / 4, 60_000, "the first member to be under way");
    const b = s.build();
    b.server.onEachBatch(handler("b"));
    const startedB = b.server.start();
    await until(() => distinct.size === total, 90_000, `all ${total} messages`);
    await Promise.all([a.server.gracefulStop(), b.server.gracefulStop()]);
    await Promise.all([startedA, startedB]);

    const all = handled.get("a")!.length + handled.get("b")!.length;
    console.log(
      `onEachBatch rebalance: member a handled ${handled.get("a")!.length}, member b ${handled.get("b")!.length}, ${all - total} duplicates`,
    );
    expect(handled.get("b")!.length).toBeGreaterThan(0);
    // Only the unresolved rest of a batch in flight at the handover is handed to the other member again.
    expect(all - total).toBeLessThanOrEqual(3 * batchSize);
    for (const [member, list] of handled) {
      for (const partition of [0, 1, 2]) {
        const offsets = list.filter((h) => h.partition === partition).map((h) => h.offset);
        const gaps = offsets.filter((offset, i) => i > 0 && offset > offsets[i - 1]! + 1);
        expect(gaps, `${member} partition ${partition}: skipped ahead`).toEqual([]);
      }
    }
    for (const partition of [0, 1, 2]) expect(await committed(b.kafka, s.groupID, s.topic, partition)).toBe(total / 3);
  });
});
