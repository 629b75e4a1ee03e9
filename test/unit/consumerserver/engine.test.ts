import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Engine, type EngineOptions } from "../../../consumerserver/engine.js";
import { callBatchHandler, callHandler, chain, type BatchHandler, type MessageHandler } from "../../../consumerserver/middleware.js";
import type { Subscription } from "../../../consumerserver/subscription.js";
import { ClosedError, Message } from "../../../src/index.js";
import { FakeGroup, gate } from "./fake-group.js";
import { until } from "../support/until.js";

const silent = pino({ level: "silent" });
const engines: Engine[] = [];

function engine(
  subscriptions: Subscription[],
  handler: MessageHandler,
  overrides: Partial<EngineOptions> = {},
): { engine: Engine; done: Promise<void>; reports: string[] } {
  const reports: string[] = [];
  const built = new Engine({
    subscriptions,
    handle: chain(callHandler(handler)),
    report: (error, details) => reports.push(`${details.phase}: ${error.message}`),
    logger: silent,
    debug: false,
    ordering: "partition",
    concurrency: 1,
    partitionConcurrency: false,
    maxQueued: 1000,
    maxQueuedPerPartition: 100,
    ...overrides,
  });
  engines.push(built);
  const done = built.run();
  done.catch(() => undefined);
  return { engine: built, done, reports };
}

const topics = (group: FakeGroup, ...names: string[]): Subscription => ({ name: "topics", group, topics: names });

afterEach(() => {
  for (const e of engines.splice(0)) e.stop(false);
  vi.useRealTimers();
});

describe("the consume engine", () => {
  it("stores an offset only after the handler resolved, and commits on close once stopped gracefully", async () => {
    const group = new FakeGroup();
    const inFlight = gate();
    const { engine: e, done } = engine([topics(group, "t")], async (_ctx, message) => {
      if (message.offset === 1) await inFlight.promise;
    });
    group.push("t", 0, [0, 1, 2]);
    await until(() => group.stored.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(group.stored).toEqual(["t/0@0"]); // offset 1 in flight: not stored, nor what is after it
    e.stop(true);
    inFlight.open();
    await done;
    expect(group.stored).toEqual(["t/0@0", "t/0@1"]); // graceful: the one in flight finished; 2 was never started
    expect(group.log.at(-1)).toBe("closed");
  });

  it("one at a time, takes per poll as many messages as the handler's pace fits in half a second: a slow handler polls often", async () => {
    const group = new FakeGroup();
    let handled = 0;
    engine([topics(group, "t")], async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      handled++;
    });
    group.push(
      "t",
      0,
      Array.from({ length: 24 }, (_, i) => i),
    );
    await until(() => handled === 24, 10_000);
    // First one message (pace unknown), then rounds of at most 500 ms / ~50 ms: never the whole 24 at once.
    expect(group.asked[0]).toBe(1);
    expect(group.asked.length).toBeGreaterThan(4);
    expect(Math.max(...group.asked.slice(1))).toBeLessThanOrEqual(10);
  });

  it("one at a time, takes full polls of 500 once a fast handler's pace is known", async () => {
    const group = new FakeGroup();
    let handled = 0;
    engine([topics(group, "t")], () => {
      handled++;
    });
    group.push(
      "t",
      0,
      Array.from({ length: 2000 }, (_, i) => i),
    );
    await until(() => handled === 2000);
    expect(group.asked[0]).toBe(1);
    expect(group.asked).toContain(500);
  });

  it("a revocation in the middle of the lanes' work drops the revoked partition's queue, waits for its handler in flight, stores it, then releases; other partitions go on", async () => {
    const group = new FakeGroup();
    const slow = gate();
    const handled: string[] = [];
    engine(
      [topics(group, "t")],
      async (_ctx, message) => {
        if (message.partition === 0 && message.offset === 0) await slow.promise;
        handled.push(`${message.partition}@${message.offset}`);
      },
      { partitionConcurrency: true },
    );
    group.push("t", 0, [0, 1, 2]);
    group.push("t", 1, [0, 1]);
    await until(() => handled.includes("1@1"));
    const released = group.revoke(["t", 0]);
    group.push("t", 1, [2]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(group.log.some((line) => line.startsWith("released"))).toBe(false); // its handler is still in flight
    slow.open();
    await released;
    const releasedAt = group.log.indexOf("released t/0");
    expect(group.log.indexOf("stored t/0@0")).toBeLessThan(releasedAt); // stored before the release
    expect(handled).not.toContain("0@1"); // queued behind the revocation: dropped, for the next owner
    expect(group.stored).not.toContain("t/0@1");
    await until(() => handled.includes("1@2")); // the partition kept goes on
  });

  it("pauses a partition whose lane grows to maxQueuedPerPartition and resumes it at half", async () => {
    const group = new FakeGroup();
    const hold = gate();
    engine(
      [topics(group, "t")],
      async () => {
        await hold.promise;
      },
      { partitionConcurrency: true, maxQueuedPerPartition: 4 },
    );
    group.push("t", 0, [0, 1, 2, 3, 4, 5]);
    await until(() => group.pauses.length === 1);
    expect(group.pauses).toEqual(["pause t/0"]);
    hold.open();
    await until(() => group.stored.length === 6);
    expect(group.pauses).toEqual(["pause t/0", "resume t/0"]);
  });

  it("bounds what it holds: polling waits while maxQueued messages are queued or in flight", async () => {
    const group = new FakeGroup();
    const hold = gate();
    const started: number[] = [];
    engine(
      [topics(group, "t")],
      async (_ctx, message) => {
        started.push(message.offset);
        await hold.promise;
      },
      { partitionConcurrency: true, maxQueued: 3, maxQueuedPerPartition: 100 },
    );
    group.push("t", 0, [0]);
    group.push("t", 1, [0]);
    group.push("t", 2, [0]);
    group.push("t", 3, [0]);
    await until(() => started.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started).toHaveLength(3); // the fourth partition's message is not even polled
    hold.open();
    await until(() => group.stored.length === 4);
  });

  it("a retry record not due yet waits with its partition paused, without holding up another partition or the topics", async () => {
    // Date stands still until the test moves it, so a slow machine cannot make the record due early.
    vi.useFakeTimers({ toFake: ["Date"] });
    const main = new FakeGroup();
    const retries = new FakeGroup();
    const dueIn = new Map<string, number>();
    const handled: string[] = [];
    const handledAt = new Map<string, number>();
    const tier: Subscription = {
      name: "retry topics",
      group: retries,
      topics: ["t.retry.1"],
      dueAt: (message) => dueIn.get(`${message.partition}@${message.offset}`),
    };
    const started = Date.now();
    engine([topics(main, "t"), tier], (_ctx, message) => {
      const name = `${message.topic}/${message.partition}@${message.offset}`;
      handled.push(name);
      handledAt.set(name, Date.now());
    });
    dueIn.set("0@0", started + 150);
    retries.push("t.retry.1", 0, [0]);
    retries.push("t.retry.1", 1, [0]); // due now
    main.push("t", 0, [0, 1]);
    await until(() => handled.includes("t.retry.1/1@0") && handled.includes("t/0@1"));
    expect(handled).not.toContain("t.retry.1/0@0");
    expect(retries.pauses).toEqual(["pause t.retry.1/0"]);
    expect(retries.stored).not.toContain("t.retry.1/0@0");
    vi.setSystemTime(started + 150);
    await until(() => handled.includes("t.retry.1/0@0"));
    expect(handledAt.get("t.retry.1/0@0")).toBeGreaterThanOrEqual(started + 150);
    expect(retries.pauses).toEqual(["pause t.retry.1/0", "resume t.retry.1/0"]);
    await until(() => retries.stored.includes("t.retry.1/0@0"));
  });

  it("a revocation abandons a record waiting for its due time: released at once, neither handled nor stored", async () => {
    const main = new FakeGroup();
    const retries = new FakeGroup();
    const handled: string[] = [];
    const tier: Subscription = { name: "retry topics", group: retries, topics: ["t.retry.1"], dueAt: () => Date.now() + 60_000 };
    engine([topics(main, "t"), tier], (_ctx, message) => {
      handled.push(`${message.topic}@${message.offset}`);
    });
    retries.push("t.retry.1", 0, [7]);
    await until(() => retries.pauses.length === 1);
    await retries.revoke(["t.retry.1", 0]);
    expect(handled).toEqual([]);
    expect(retries.stored).toEqual([]);
    expect(retries.pauses).toEqual(["pause t.retry.1/0", "resume t.retry.1/0"]); // resumed while still assigned
  });

  it("gives a retry record's delivery what its subscription says (tier state, attempts) before the handler runs", async () => {
    const main = new FakeGroup();
    const retries = new FakeGroup();
    const attempts: number[] = [];
    const tier: Subscription = {
      name: "retry topics",
      group: retries,
      topics: ["t.retry.1"],
      dueAt: () => undefined,
      prepare: (delivery) => {
        delivery.attempts = 2;
      },
    };
    engine([topics(main, "t"), tier], (ctx) => {
      attempts.push(ctx.attempt);
    });
    retries.pushMessage(new Message("t.retry.1", 0, null, Buffer.from("x"), [], 0, 3));
    await until(() => attempts.length === 1);
    expect(attempts).toEqual([3]); // the third call of the message's handler
  });

  it("a failure in one subscription stops every subscription, closes every group and is what run() rejects with", async () => {
    const main = new FakeGroup();
    const retries = new FakeGroup();
    const tier: Subscription = { name: "retry topics", group: retries, topics: ["t.retry.1"], dueAt: () => undefined };
    const { done } = engine([topics(main, "t"), tier], (_ctx, message) => {
      if (message.topic === "t.retry.1") throw new Error("poison in a retry topic");
    });
    retries.push("t.retry.1", 0, [0]);
    await expect(done).rejects.toThrow("poison in a retry topic");
    expect([main.closed, retries.closed]).toEqual([1, 1]);
    expect(retries.stored).toEqual([]);
  });

  it("a hard stop does not wait for the handler in flight and stores nothing it finishes afterwards", async () => {
    const group = new FakeGroup();
    const hold = gate();
    let aborted = false;
    let started = false;
    const { engine: e, done } = engine([topics(group, "t")], async (ctx) => {
      started = true;
      ctx.signal.addEventListener("abort", () => (aborted = true));
      await hold.promise;
    });
    group.push("t", 0, [0]);
    await until(() => started);
    e.stop(false);
    await done;
    expect(aborted).toBe(true);
    hold.open();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(group.stored).toEqual([]);
    expect(group.closed).toBe(1);
  });

  it("a fatal fetch error stops the engine; another is reported and polling goes on", async () => {
    const group = new FakeGroup();
    const handled: number[] = [];
    const { done, reports } = engine([topics(group, "t")], (_ctx, message) => {
      handled.push(message.offset);
    });
    group.fail(new Error("broker transport failure"));
    group.push("t", 0, [0]);
    await until(() => handled.length === 1);
    expect(reports).toEqual(["fetch: broker transport failure"]);
    const fatal = Object.assign(new Error("fenced"), { fatal: true });
    group.fail(fatal);
    await expect(done).rejects.toThrow("fenced");
  });

  it("stops when its reader was closed under it, instead of polling the closed reader again and again", async () => {
    const group = new FakeGroup();
    const { done, reports } = engine([topics(group, "t")], () => undefined);
    group.fail(new ClosedError("reader kafka.consumers.c1", "poll"));
    await expect(done).rejects.toThrow(ClosedError);
    expect(reports).toEqual(["fetch: reader kafka.consumers.c1 is closed: poll() was called after close()"]);
    expect(group.asked).toHaveLength(1);
  });

  it("onEachBatch: a retry record is handed over as a batch of one, whatever batchSize says", async () => {
    const main = new FakeGroup();
    const retries = new FakeGroup();
    const sizes: number[] = [];
    const batchHandler: BatchHandler = (_ctx, batch) => {
      sizes.push(batch.messages.length);
    };
    const tier: Subscription = { name: "retry topics", group: retries, topics: ["t.retry.1"], dueAt: () => undefined };
    engine([topics(main, "t"), tier], () => undefined, { handle: chain(callBatchHandler(batchHandler)), batchSize: 10 });
    main.push("t", 0, [0, 1, 2]);
    retries.push("t.retry.1", 0, [0, 1]);
    await until(() => sizes.length === 3);
    expect(sizes.sort()).toEqual([1, 1, 3]);
  });
});

describe("the consume engine with key ordering", () => {
  it("runs different keys of a partition at once, each key in offset order, never two of one key together, within concurrency", async () => {
    const group = new FakeGroup();
    let running = 0;
    let most = 0;
    const runningKeys = new Set<string>();
    const handledByKey = new Map<string, number[]>();
    engine(
      [topics(group, "t")],
      async (_ctx, message) => {
        const key = message.key!.toString();
        expect(runningKeys.has(key)).toBe(false); // the same key never twice at once
        runningKeys.add(key);
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, (message.offset * 7) % 5));
        handledByKey.set(key, [...(handledByKey.get(key) ?? []), message.offset]);
        runningKeys.delete(key);
        running--;
      },
      { ordering: "key", concurrency: 8 },
    );
    const offsets = Array.from({ length: 400 }, (_, i) => i);
    group.push("t", 0, offsets, (offset) => `k${offset % 20}`);
    await until(() => group.stored.includes("t/0@399"));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
    for (const [key, handled] of handledByKey) {
      expect(handled, key).toEqual(offsets.filter((offset) => `k${offset % 20}` === key));
    }
  });

  it("stores only the committable prefix: a slow message holds the partition's offset back while later keys finish", async () => {
    const group = new FakeGroup();
    const slow = gate();
    const handled: number[] = [];
    engine(
      [topics(group, "t")],
      async (_ctx, message) => {
        if (message.offset === 1) await slow.promise;
        handled.push(message.offset);
      },
      { ordering: "key", concurrency: 10 },
    );
    group.push("t", 0, [0, 1, 2, 3, 4], (offset) => `k${offset}`);
    await until(() => handled.length === 4);
    expect(group.stored).toEqual(["t/0@0"]); // 2, 3 and 4 are done, but 1 is not: nothing past it is stored
    slow.open();
    await until(() => group.stored.length === 2);
    expect(group.stored).toEqual(["t/0@0", "t/0@4"]);
  });

  it("synchronous handlers in key lanes: every message handled in key order, the whole prefix stored, no partition left paused", async () => {
    const group = new FakeGroup();
    const handled = new Map<string, number[]>();
    engine(
      [topics(group, "t")],
      (_ctx, message) => {
        const key = message.key!.toString();
        handled.set(key, [...(handled.get(key) ?? []), message.offset]);
      },
      { ordering: "key", concurrency: 3, maxQueuedPerPartition: 4 },
    );
    const offsets = Array.from({ length: 200 }, (_, i) => i);
    group.push("t", 0, offsets, (offset) => `k${offset % 7}`);
    await until(() => group.stored.at(-1) === "t/0@199");
    expect([...handled.values()].flat().length).toBe(200);
    for (const [key, seen] of handled) expect(seen, key).toEqual(offsets.filter((o) => `k${o % 7}` === key));
    // A pause (if the lane held 4 at once) is always followed by its resume: the held count went back to 0.
    expect(group.pauses.filter((p) => p.startsWith("pause")).length).toBe(group.pauses.filter((p) => p.startsWith("resume")).length);
  });

  it("messages without a key run one at a time per partition, in order", async () => {
    const group = new FakeGroup();
    let running = 0;
    let most = 0;
    const handled: number[] = [];
    engine(
      [topics(group, "t")],
      async (_ctx, message) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        handled.push(message.offset);
        running--;
      },
      { ordering: "key", concurrency: 10 },
    );
    group.push("t", 0, [0, 1, 2, 3, 4, 5]);
    await until(() => handled.length === 6);
    expect(handled).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(1);
  });

  it("unordered: any message as soon as a slot is free, at most concurrency at once", async () => {
    const group = new FakeGroup();
    const hold = gate();
    let running = 0;
    let most = 0;
    const { engine: e } = engine(
      [topics(group, "t")],
      async () => {
        most = Math.max(most, ++running);
        await hold.promise;
        running--;
      },
      { ordering: "unordered", concurrency: 4 },
    );
    group.push("t", 0, [0, 1, 2, 3, 4, 5, 6, 7], () => "same key");
    await until(() => running === 4);
    await until(() => e.waiting === 4); // the waiting gauge: fetched, not started
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(most).toBe(4);
    expect(e.waiting).toBe(4);
    hold.open();
    await until(() => group.stored.includes("t/0@7"));
  });

  it("a revocation waits only for the revoked partition's keys in flight, not for another partition's", async () => {
    const group = new FakeGroup();
    const revokedSlow = gate();
    const keptSlow = gate();
    const handled: string[] = [];
    engine(
      [topics(group, "t")],
      async (_ctx, message) => {
        if (message.partition === 0 && message.offset === 0) await revokedSlow.promise;
        if (message.partition === 1 && message.offset === 0) await keptSlow.promise;
        handled.push(`${message.partition}@${message.offset}`);
      },
      { ordering: "key", concurrency: 10 },
    );
    group.push("t", 0, [0, 1], (offset) => `a${offset}`);
    group.push("t", 1, [0, 1], (offset) => `b${offset}`);
    await until(() => handled.includes("0@1") && handled.includes("1@1"));
    const released = group.revoke(["t", 0]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(group.log.includes("released t/0")).toBe(false); // its key a0 is still in flight
    revokedSlow.open();
    await released; // while b0 of the kept partition is still in flight
    expect(handled).not.toContain("1@0");
    expect(group.log.indexOf("stored t/0@1")).toBeLessThan(group.log.indexOf("released t/0"));
    keptSlow.open();
    await until(() => group.stored.includes("t/1@1"));
  });

  /**
   * Key ordering, one partition: 0 and 1 share key a (1 waits behind 0, which holds until `slow` opens);
   * 2 (key b) is handled at once; 3 (key a) comes after 2. Resolves once 2 is handled.
   */
  async function keyQueuedBehindSlowFirst() {
    const group = new FakeGroup();
    const slow = gate();
    const handled: number[] = [];
    const built = engine(
      [topics(group, "t")],
      async (_ctx, message) => {
        if (message.offset === 0) await slow.promise;
        handled.push(message.offset);
      },
      { ordering: "key", concurrency: 10 },
    );
    group.push("t", 0, [0, 1, 2, 3], (offset) => (offset === 2 ? "b" : "a"));
    await until(() => handled.includes(2));
    return { group, slow, handled, ...built };
  }

  it("key ordering, graceful stop: a message queued behind its key but before one already handled is handled too, so the committed offset covers every message handled", async () => {
    const { group, slow, handled, engine: e, done } = await keyQueuedBehindSlowFirst();
    e.stop(true);
    slow.open();
    await done;
    // 1 lies before 2, which was handled: handled rather than dropped, so the offset stored reaches 2.
    // 3 lies after every message started: dropped, read again by the next reader.
    expect(handled).toEqual([2, 0, 1]);
    expect(group.stored.at(-1)).toBe("t/0@2");
  });

  it("key ordering, revocation: messages before one already handled are handled before the release, the rest dropped", async () => {
    const { group, slow, handled } = await keyQueuedBehindSlowFirst();
    const released = group.revoke(["t", 0]);
    slow.open();
    await released;
    expect(handled).toEqual([2, 0, 1]);
    const releasedAt = group.log.indexOf("released t/0");
    expect(group.log.indexOf("stored t/0@2")).toBeGreaterThanOrEqual(0);
    expect(group.log.indexOf("stored t/0@2")).toBeLessThan(releasedAt); // the whole handled prefix before the release
    expect(group.stored).not.toContain("t/0@3");
  });

  it("key ordering, hard stop: nothing not started is handled", async () => {
    const { slow, handled, engine: e, done } = await keyQueuedBehindSlowFirst();
    e.stop(false);
    slow.open();
    await done;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handled).toEqual([2, 0]); // 0 finishes on its own (its signal aborted); 1 and 3 were dropped
  });
});
