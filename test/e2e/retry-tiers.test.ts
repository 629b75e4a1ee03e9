// Retry tiers on the 3-broker cluster: a failing message waits in retry topics while its partition goes
// on, then succeeds or ends on the dead-letter topic with every attempt in its headers.
import { afterEach, describe, expect, it } from "vitest";
import type { Component, Message } from "ekafka";
import type { Config } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { RecoverableError } from "ekafka/consumerserver";
import { load } from "ekafka";
import { componentsClosedAfterEach, e2eConfig, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { createTopic, waitForTopic } from "./support/raw.js";

const components = componentsClosedAfterEach();
// Servers are stopped before their components are closed, whatever the test's outcome.
const servers: consumerserver.ConsumerServer[] = [];
afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
});

/** A topic, producers `p1` (the topic) and `retry` (no topic), group `cg1`, and server `s1` with retry tiers. */
function scenario(serverKeys: string, extra = "") {
  const topic = uniqueName("e2e-tiers");
  const groupID = uniqueName("g-tiers");
  const toml = `
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.producers.retry]
batchTimeout = "1ms"
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
${FAST_GROUP}
[kafka.consumers.dlt]
topic = "${topic}.DLT"
groupID = "${groupID}-dlt"
${FAST_GROUP}
${extra}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
retryProducer = "retry"
${serverKeys}
`;
  const cfg: Config = e2eConfig(toml);
  const kafka: Component = components.track(load("kafka", cfg).build());
  // No in-place retries: each failure goes to the next tier at once.
  const server = consumerserver
    .load("kafkaConsumerServers.s1", cfg)
    .build(consumerserver.withEkafka(kafka), consumerserver.withRetry({ attempts: 0 }));
  servers.push(server);
  return { topic, groupID, kafka, server };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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
    // The server creates the dead-letter topic at start; read it once every broker knows it.
    const deadLetterTopic = `${s.topic}.DLT`;
    await waitFor(
      () => s.kafka.client().topicExists(deadLetterTopic),
      30_000,
      () => `${deadLetterTopic} to be created`,
    );
    await waitForTopic(deadLetterTopic, 3);
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

  it("refuses to start, naming the topic, when a retry topic cannot be created", async () => {
    const s = scenario(`retryDelays = ["1s"]\nretryTopicFormat = "{topic}/retry/{n}"`);
    await createTopic(s.topic, 3, 3);
    s.server.onEachMessage(() => undefined);
    await expect(s.server.start()).rejects.toThrow(
      `kafkaConsumerServers.s1: retry tiers need the topic "${s.topic}/retry/1", which does not exist and could not be created`,
    );
  });
});
