// Key-ordered concurrency on the 3-broker cluster: many messages in flight, each key in its written
// order, offsets committed only up to the first message not done.
import { afterEach, describe, expect, it } from "vitest";
import type { Component } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { RecoverableError } from "ekafka/consumerserver";
import { componentsClosedAfterEach } from "./support/component.js";
import { createTopic } from "./support/raw.js";
import { serverScenario } from "./support/scenario.js";
import { sleep, until } from "./support/wait.js";

const components = componentsClosedAfterEach();
const servers: consumerserver.ConsumerServer[] = [];
afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
});

/** A topic written with the hash balancer (a key stays on one partition) and server `s1` with `serverKeys`. */
function scenario(serverKeys: string) {
  const s = serverScenario({
    name: "keys",
    producerKeys: 'balancer = "hash"',
    readerKeys: 'commitInterval = "200ms"',
    extra: (topic) => `[kafka.producers.dlq]\ntopic = "${topic}.DLT"`,
    serverKeys,
    track: components.track,
  });
  const member = (...options: consumerserver.Option[]) => {
    const { kafka, server } = s.build({ server: options });
    servers.push(server);
    return { kafka, server };
  };
  return { topic: s.topic, groupID: s.groupID, member };
}

/** `count` messages over `keys` keys, value = the message's number, written in order. */
async function write(kafka: Component, count: number, keys: number, prefix = "k"): Promise<void> {
  const messages = Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i % keys}`, value: String(i) }));
  for (let i = 0; i < messages.length; i += 1000) await kafka.producer("p1").writeMessages(...messages.slice(i, i + 1000));
}

describe("ordering = key", () => {
  it("keeps each of 500 keys in its written order over 10,000 messages with random handler delays, handling each once, with more than 3 and at most 100 (the concurrency) in flight", async () => {
    const s = scenario(`ordering = "key"\nconcurrency = 100`);
    await createTopic(s.topic, 3, 3);
    const { kafka, server } = s.member();
    const byKey = new Map<string, number[]>();
    let inFlight = 0;
    let mostInFlight = 0;
    let handled = 0;
    server.onEachMessage(async (_ctx, message) => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await sleep(Math.random() * 20);
      const key = message.keyString();
      byKey.set(key, [...(byKey.get(key) ?? []), Number(message.valueString())]);
      handled++;
      inFlight--;
    });
    const started = server.start();
    await write(kafka, 10_000, 500);
    await until(
      () => handled >= 10_000,
      120_000,
      () => `${handled} of 10,000 handled`,
    );
    // Everything committed: no message can be handed to the handler again, so a duplicate would be in `handled` by now.
    await until(
      async () => (await kafka.client().offsetFetch(s.groupID, s.topic)).reduce((sum, p) => sum + Math.max(0, p.offset), 0) === 10_000,
      30_000,
      "the group to commit all 10,000 offsets",
      100,
    );
    await server.gracefulStop();
    await started;
    console.log(`ordering = key: 10,000 handled over 500 keys, at most ${mostInFlight} in flight at once`);

    expect(handled).toBe(10_000); // each once
    expect(byKey.size).toBe(500);
    for (const [key, values] of byKey) {
      const k = Number(key.slice(1));
      expect(values, key).toEqual(Array.from({ length: 20 }, (_, i) => k + i * 500));
    }
    expect(mostInFlight).toBeGreaterThan(3); // more than one per partition
    expect(mostInFlight).toBeLessThanOrEqual(100);
  });

  it("a poison message blocks only its key: the other keys of its partition go on while it is retried, then it is dead-lettered and everything is committed", async () => {
    const s = scenario(`ordering = "key"\nconcurrency = 10\ndeadLetterProducer = "dlq"`);
    await createTopic(s.topic, 1, 3);
    await createTopic(`${s.topic}.DLT`, 1, 3);
    const { kafka, server } = s.member(consumerserver.withRetry({ attempts: 3, backoffMs: 400, multiplier: 1 }));
    const handled: string[] = [];
    const poisonCalls: number[] = [];
    server.onEachMessage((_ctx, message) => {
      if (message.keyString() === "poison") {
        poisonCalls.push(Date.now());
        throw new RecoverableError("poisoned");
      }
      handled.push(message.valueString());
    });
    const started = server.start();
    await kafka
      .producer("p1")
      .writeMessages({ key: "poison", value: "p" }, ...Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 20}`, value: String(i) })));
    await until(
      () => handled.length === 200 && poisonCalls.length === 4,
      60_000,
      () => `${handled.length} of 200 handled, ${poisonCalls.length} poison calls`,
    );
    const lastPoisonCall = poisonCalls.at(-1)!;
    await server.gracefulStop();
    await started;

    // All 200 messages behind the poison, on the same partition, were handled while it was still being retried.
    expect(poisonCalls).toHaveLength(4);
    expect(handled).toHaveLength(200);
    expect(lastPoisonCall - poisonCalls[0]!).toBeGreaterThanOrEqual(1200);
    const committed = await kafka.client().offsetFetch(s.groupID, s.topic);
    expect(committed.map((c) => c.offset)).toEqual([201]);
    const dead = await kafka.client().listOffsets(`${s.topic}.DLT`);
    expect(dead.map((d) => d.offset)).toEqual([1]); // the poison, once
  });

  it("a rebalance between two servers under load loses nothing, handles at most 650 messages twice (50 in flight + 100 per partition), and never handles a message of a key before the one written before it", async () => {
    const s = scenario(`ordering = "key"\nconcurrency = 50`);
    await createTopic(s.topic, 6, 3);
    const first = s.member();
    const firstHandled = new Map<string, number>(); // value -> first time handled, over both members
    let duplicates = 0;
    let total = 0;
    const handle = async (_ctx: consumerserver.MessageContext, message: { keyString(): string | null; valueString(): string | null }) => {
      await sleep(Math.random() * 5);
      const value = message.valueString()!;
      if (firstHandled.has(value)) duplicates++;
      else firstHandled.set(value, performance.now());
      total++;
    };
    first.server.onEachMessage(handle);
    const firstRun = first.server.start();
    const writing = write(first.kafka, 6000, 300);
    await until(
      () => total > 1000,
      60_000,
      () => `${total} handled before the second member`,
    );
    const second = s.member();
    second.server.onEachMessage(handle);
    const secondRun = second.server.start();
    await until(
      () => total > 3000,
      60_000,
      () => `${total} handled after the second member joined`,
    );
    await first.server.gracefulStop(); // its partitions move to the second member
    await firstRun;
    await writing;
    await until(
      () => firstHandled.size === 6000,
      60_000,
      () => `${firstHandled.size} of 6,000 distinct handled`,
    );
    await second.server.gracefulStop();
    await secondRun;
    console.log(`ordering = key, rebalance under load: 6000 of 6000 distinct handled, ${duplicates} duplicates`);

    expect(firstHandled.size).toBe(6000); // nothing lost
    for (let value = 300; value < 6000; value++) {
      // The message written before it with the same key (value - 300) was handled first.
      expect(firstHandled.get(String(value))!, `message ${value}`).toBeGreaterThan(firstHandled.get(String(value - 300))!);
    }
    // At-least-once across a hand-over: re-read at most what was in flight or done after a gap (50 in flight at most per member).
    expect(duplicates).toBeLessThanOrEqual(50 + 6 * 100);
  });
});
