// Retry tiers on the 3-broker cluster: a failing message waits in retry topics while its partition goes
// on, then succeeds or ends on the dead-letter topic with every attempt in its headers.
import { afterEach, describe, expect, it } from "vitest";
import type { Component, Message } from "ekafka";
import { App, governor } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { RecoverableError } from "ekafka/consumerserver";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { createTopic, waitForTopic } from "./support/raw.js";
import { serverScenario } from "./support/scenario.js";
import { until } from "./support/wait.js";

const components = componentsClosedAfterEach();
// Servers are stopped before their components are closed, whatever the test's outcome.
const servers: consumerserver.ConsumerServer[] = [];
afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
});

/**
 * A topic, producers `p1` (the topic) and `retry` (no topic), and server `s1` with retry tiers, reading
 * with the consumer group `cg1` (`consumerGroupName`) or, as a Go ekafka TOML does, with the consumer
 * `c1` (`consumerName`, a `[kafka.consumers.c1]` entry).
 */
function scenario(
  serverKeys: string,
  extra = "",
  reader: "consumerGroupName" | "consumerName" = "consumerGroupName",
  serverOptions: consumerserver.Option[] = [consumerserver.withRetry({ attempts: 0 })],
) {
  const s = serverScenario({
    name: "tiers",
    reader: reader === "consumerName" ? "consumer" : "group",
    extra: (topic, groupID) => `
[kafka.producers.retry]
batchTimeout = "1ms"
[kafka.consumers.dlt]
topic = "${topic}.DLT"
groupID = "${groupID}-dlt"
${FAST_GROUP}
${extra}`,
    serverKeys: `retryProducer = "retry"\n${serverKeys}`,
    // By default no in-place retries: each failure goes to the next tier at once.
    serverOptions,
    track: components.track,
  });
  const { kafka, server, cfg } = s.build();
  servers.push(server);
  return { topic: s.topic, groupID: s.groupID, kafka, server, cfg };
}

/** Waits until the dead-letter topic the server creates at start is known to every broker. */
async function deadLetterTopicReady(s: { topic: string; kafka: Component }): Promise<void> {
  const deadLetterTopic = `${s.topic}.DLT`;
  await until(
    () => s.kafka.client().topicExists(deadLetterTopic),
    30_000,
    () => `${deadLetterTopic} to be created`,
  );
  await waitForTopic(deadLetterTopic, 3);
}

describe("retry tiers", () => {
  it("retries a failing message from the retry topics, after the 1,000 messages behind it, no earlier than the delays", async () => {
    const s = scenario(`retryDelays = ["1s", "2s", "4s"]`);
    await createTopic(s.topic, 3, 3);
    const calls: Array<{ at: number; attempt: number; topic: string }> = [];
    let sequence = 0;
    const succeeded = new Map<string, number>(); // value -> sequence number of its (last) success
    let successes = 0;
    s.server.onEachMessage((ctx, message) => {
      const value = message.valueString();
      if (value === "target") {
        calls.push({ at: Date.now(), attempt: ctx.attempt, topic: message.topic });
        if (calls.length <= 2) throw new RecoverableError(`try ${calls.length} failed`);
      }
      successes++;
      succeeded.set(value, ++sequence);
    });
    const started = s.server.start();
    const others = Array.from({ length: 1000 }, (_, i) => ({ partition: 0, key: `k${i % 7}`, value: `m${i}` }));
    await s.kafka.producer("p1").writeMessages({ partition: 0, key: "kt", value: "target" }, ...others);
    await until(
      () => succeeded.has("target") && succeeded.size === 1001,
      90_000,
      () => `target ${calls.length} calls, ${succeeded.size} of 1001 handled`,
    );
    await new Promise((r) => setTimeout(r, 1000)); // a second success would show up here
    await s.server.gracefulStop();
    await started;

    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(calls.map((c) => c.topic)).toEqual([s.topic, `${s.topic}.retry.1`, `${s.topic}.retry.2`]);
    expect(successes).toBe(1001); // the target once, each other message once
    const firstTry = calls[0]!.at;
    const success = calls[2]!.at;
    console.log(`retry tiers: target succeeded ${success - firstTry} ms after its first try (delays 1 s + 2 s)`);
    expect(success - firstTry).toBeGreaterThanOrEqual(3000);
    const targetSequence = succeeded.get("target")!;
    for (let i = 0; i < 1000; i++) expect(succeeded.get(`m${i}`)!).toBeLessThan(targetSequence);

    // The retry topics were created with the topic's partition count.
    const described = await s.kafka.client().metadata(`${s.topic}.retry.1`, `${s.topic}.retry.2`, `${s.topic}.retry.3`, `${s.topic}.DLT`);
    expect(described.map((t) => t.partitions.length)).toEqual([3, 3, 3, 3]);
  });

  it("parks a message that always fails on the dead-letter topic with each attempt in its headers, and goes on", async () => {
    const s = scenario(`retryDelays = ["1s", "1s"]`);
    await createTopic(s.topic, 3, 3);
    const handled: string[] = [];
    const attempts = new Map<string, number>();
    s.server.onEachMessage((ctx, message) => {
      const value = message.valueString();
      attempts.set(value, ctx.attempt);
      if (value === "poison") throw new RecoverableError(`poison failed on attempt ${ctx.attempt}`);
      if (value === "malformed") throw new TypeError("cannot parse"); // not recoverable: no tier
      handled.push(value);
    });
    const started = s.server.start();
    await s.kafka
      .producer("p1")
      .writeMessages(
        { partition: 1, key: "kp", value: "poison", headers: { "x-app": "orders" } },
        { partition: 1, key: "km", value: "malformed" },
        ...Array.from({ length: 10 }, (_, i) => ({ partition: 1, value: `after${i}` })),
      );
    await deadLetterTopicReady(s);
    const dead: Message[] = [];
    const reader = s.kafka.consumer("dlt");
    while (dead.length < 2) dead.push(await reader.readMessage({ timeoutMs: 60_000 }));
    await s.kafka.producer("p1").writeMessages({ partition: 1, value: "later" });
    await until(
      () => handled.includes("later"),
      30_000,
      () => `"later" (handled: ${handled.join(",")})`,
    );
    await s.server.gracefulStop();
    await started;

    expect(handled).toEqual([...Array.from({ length: 10 }, (_, i) => `after${i}`), "later"]);
    const poison = dead.find((m) => m.valueString() === "poison")!;
    const malformed = dead.find((m) => m.valueString() === "malformed")!;
    expect(poison.keyString()).toBe("kp");
    const history = (message: Message) =>
      message.headers.filter((h) => h.key.startsWith("x-ekafka-attempt-")).map((h) => `${h.key} ${h.value.toString()}`);
    expect(history(poison)).toHaveLength(3);
    expect(history(poison)[0]).toMatch(
      new RegExp(`^x-ekafka-attempt-1 \\S+ ${s.topic}\\[1\\]@0 RecoverableError: poison failed on attempt 1$`),
    );
    expect(history(poison)[1]).toMatch(
      new RegExp(`^x-ekafka-attempt-2 \\S+ ${s.topic}\\.retry\\.1\\[1\\]@\\d+ RecoverableError: poison failed on attempt 2$`),
    );
    expect(history(poison)[2]).toMatch(
      new RegExp(`^x-ekafka-attempt-3 \\S+ ${s.topic}\\.retry\\.2\\[1\\]@\\d+ RecoverableError: poison failed on attempt 3$`),
    );
    expect({
      app: poison.header("x-app"),
      error: poison.header("x-ekafka-error"),
      attempts: poison.header("x-ekafka-attempts"),
      tier: poison.header("x-ekafka-retry-tier"),
      topic: poison.header("x-ekafka-original-topic"),
      partition: poison.header("x-ekafka-original-partition"),
      offset: poison.header("x-ekafka-original-offset"),
      key: poison.header("x-ekafka-original-key"),
    }).toEqual({
      app: "orders",
      error: "RecoverableError: poison failed on attempt 3",
      attempts: "3",
      tier: "2",
      topic: s.topic,
      partition: "1",
      offset: "0",
      key: "kp",
    });
    // Not recoverable: straight to the dead-letter topic, no tier.
    expect(attempts.get("malformed")).toBe(1);
    expect(history(malformed)).toEqual([expect.stringMatching(/^x-ekafka-attempt-1 .* TypeError: cannot parse$/)]);
    expect(malformed.header("x-ekafka-retry-tier")).toBe("0");
  });

  // The same two outcomes — a message that fails twice, one that always fails — for an onEachBatch
  // server and for a server reading with consumerName (a Go ekafka TOML's [kafka.consumers.x] entry).
  for (const variant of [
    { mode: "onEachBatch", reader: "consumerGroupName" },
    { mode: "onEachMessage", reader: "consumerName" },
  ] as const) {
    it(`${variant.mode} reading with ${variant.reader}: a message failing twice succeeds once, after the messages behind it and no earlier than the delays; one always failing ends on the dead-letter topic`, async () => {
      const s = scenario(`retryDelays = ["1s", "2s"]\nbatchSize = 20`, "", variant.reader);
      await createTopic(s.topic, 3, 3);
      const targetCalls: Array<{ at: number; attempt: number; topic: string }> = [];
      const poisonAttempts: number[] = [];
      let sequence = 0;
      const succeeded = new Map<string, number>(); // value -> sequence number of its (last) success
      let successes = 0;
      let fromRetryTopics = 0; // messages handled from a retry topic besides the two under test
      let batchSizes = 0;
      const handle = (value: string, attempt: number, topic: string) => {
        if (value === "target") {
          targetCalls.push({ at: Date.now(), attempt, topic });
          if (targetCalls.length <= 2) throw new RecoverableError(`try ${targetCalls.length} failed`);
        } else if (value === "poison") {
          poisonAttempts.push(attempt);
          throw new RecoverableError(`poison failed on attempt ${attempt}`);
        } else if (topic !== s.topic) {
          fromRetryTopics++;
        }
        successes++;
        succeeded.set(value, ++sequence);
      };
      if (variant.mode === "onEachBatch") {
        s.server.onEachBatch((ctx, batch) => {
          batchSizes = Math.max(batchSizes, batch.messages.length);
          for (const message of batch.messages) {
            handle(message.valueString(), ctx.attempt, message.topic);
            batch.resolve(message); // so that only the failed message and those after it move to a tier
          }
        });
      } else {
        s.server.onEachMessage((ctx, message) => handle(message.valueString(), ctx.attempt, message.topic));
      }
      const started = s.server.start();
      const behind = Array.from({ length: 300 }, (_, i) => ({ partition: 0, key: `k${i % 7}`, value: `m${i}` }));
      const p1 = s.kafka.producer("p1");
      await p1.writeMessages(
        { partition: 0, key: "kt", value: "target" },
        ...behind,
        { partition: 1, key: "kp", value: "poison", headers: { "x-app": "orders" } },
        ...Array.from({ length: 10 }, (_, i) => ({ partition: 1, value: `after${i}` })),
      );
      await deadLetterTopicReady(s);
      const dead = await s.kafka.consumer("dlt").readMessage({ timeoutMs: 90_000 });
      await until(
        () => succeeded.has("target") && succeeded.size === 311,
        90_000,
        () => `target ${targetCalls.length} calls, ${succeeded.size} of 311 handled`,
      );
      await new Promise((r) => setTimeout(r, 1000)); // a second success would show up here
      await s.server.gracefulStop();
      await started;

      console.log(
        `retry tiers (${variant.mode}, ${variant.reader}): target succeeded ${targetCalls[2]!.at - targetCalls[0]!.at} ms after its first try ` +
          `(delays 1 s + 2 s); ${fromRetryTopics} messages moved along with a failed batch; largest batch ${batchSizes}`,
      );
      expect(targetCalls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      expect(targetCalls.map((c) => c.topic)).toEqual([s.topic, `${s.topic}.retry.1`, `${s.topic}.retry.2`]);
      expect(successes).toBe(311); // the target once, each other message once
      expect(targetCalls[2]!.at - targetCalls[0]!.at).toBeGreaterThanOrEqual(3000);
      const targetSequence = succeeded.get("target")!;
      for (let i = 0; i < 300; i++) expect(succeeded.get(`m${i}`)!).toBeLessThan(targetSequence);
      if (variant.mode === "onEachMessage") expect(fromRetryTopics).toBe(0); // only the failed messages move

      expect(poisonAttempts).toEqual([1, 2, 3]);
      expect(dead.valueString()).toBe("poison");
      const history = dead.headers.filter((h) => h.key.startsWith("x-ekafka-attempt-")).map((h) => `${h.key} ${h.value.toString()}`);
      expect(history).toHaveLength(3);
      expect(history[0]).toMatch(new RegExp(`^x-ekafka-attempt-1 \\S+ ${s.topic}\\[1\\]@0 RecoverableError: poison failed on attempt 1$`));
      expect(history[1]).toMatch(
        new RegExp(`^x-ekafka-attempt-2 \\S+ ${s.topic}\\.retry\\.1\\[1\\]@\\d+ RecoverableError: poison failed on attempt 2$`),
      );
      expect(history[2]).toMatch(
        new RegExp(`^x-ekafka-attempt-3 \\S+ ${s.topic}\\.retry\\.2\\[1\\]@\\d+ RecoverableError: poison failed on attempt 3$`),
      );
      expect({
        app: dead.header("x-app"),
        attempts: dead.header("x-ekafka-attempts"),
        tier: dead.header("x-ekafka-retry-tier"),
        topic: dead.header("x-ekafka-original-topic"),
        offset: dead.header("x-ekafka-original-offset"),
        key: dead.header("x-ekafka-original-key"),
      }).toEqual({ app: "orders", attempts: "3", tier: "2", topic: s.topic, offset: "0", key: "kp" });
    });
  }

  it("refuses to start, naming the topic, when a retry topic cannot be created", async () => {
    const s = scenario(`retryDelays = ["1s"]\nretryTopicFormat = "{topic}/retry/{n}"`);
    await createTopic(s.topic, 3, 3);
    s.server.onEachMessage(() => undefined);
    await expect(s.server.start()).rejects.toThrow(
      `kafkaConsumerServers.s1: retry tiers need the topic "${s.topic}/retry/1", which does not exist and could not be created`,
    );
  });

  it("with retryDelays and nothing else set, a recoverable failure goes to tier 1 at once; /metrics counts each move as retry_tier, never dead_lettered", async () => {
    // No withRetry option and no inPlaceRetries key: the defaults a TOML user gets.
    const s = scenario(`retryDelays = ["1s", "1s"]`, `[server.governor]\nhost = "127.0.0.1"\nport = 0`, "consumerGroupName", []);
    await createTopic(s.topic, 3, 3);
    const calls: Array<{ at: number; topic: string }> = [];
    s.server.onEachMessage((_ctx, message) => {
      if (message.valueString() !== "target") return;
      calls.push({ at: Date.now(), topic: message.topic });
      if (calls.length <= 2) throw new RecoverableError(`try ${calls.length} failed`);
    });
    const gov = governor.load("server.governor", s.cfg).build();
    const app = new App({ signals: [], stopTimeoutMs: 20_000 }).serve(gov, s.server);
    const running = app.run();
    await until(
      () => gov.url !== undefined,
      30_000,
      () => "the governor to listen",
    );
    const scrape = async () => {
      const text = await (await fetch(`${gov.url}/metrics`)).text();
      const counts: Record<string, number> = {};
      for (const match of text.matchAll(/^ekafka_consumerserver_handled_total\{(.*)\} (\S+)$/gm)) {
        if (!match[1]!.includes(`topic="${s.topic}`) || !match[1]!.includes('server="kafkaConsumerServers.s1"')) continue;
        const result = /result="(\w+)"/.exec(match[1]!)![1]!;
        counts[result] = (counts[result] ?? 0) + Number(match[2]);
      }
      return counts;
    };
    await s.kafka
      .producer("p1")
      .writeMessages({ partition: 0, value: "target" }, ...Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: `m${i}` })));
    await until(
      () => calls.length === 3,
      60_000,
      () => `the third call of the target (${calls.length} so far)`,
    );
    let counts: Record<string, number> = {};
    await until(
      async () => (counts = await scrape()).ok === 21,
      30_000,
      () => `21 ok on /metrics (${JSON.stringify(counts)})`,
      200,
    );
    await app.stop();
    await running;

    // Each failure moved on at once: the second call came from tier 1, at least its delay after the first.
    expect(calls.map((c) => c.topic)).toEqual([s.topic, `${s.topic}.retry.1`, `${s.topic}.retry.2`]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    // The target's two moves are retry_tier; nothing was dead-lettered or retried in place.
    expect(counts).toEqual({ ok: 21, retry_tier: 2 });
  });
});
