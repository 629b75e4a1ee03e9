// The Go original's Consumer Server TOML (test/unit/fixtures/core/seed-consumer-server.toml, from its
// README), unchanged but for brokers, topic and group: it runs with each of the three modes. As in Go,
// onEachMessage and onStart read with consumerName (c1), onConsumerGroupStart with consumerGroupName (cg1).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Message, type Component } from "ekafka";
import { Config } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { load } from "ekafka";
import { componentsClosedAfterEach } from "./support/component.js";
import { brokers, repoRoot, uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";

const components = componentsClosedAfterEach();
const seed = readFileSync(`${repoRoot}test/unit/fixtures/core/seed-consumer-server.toml`, "utf8");

/** The seed with this cluster's brokers and a fresh topic and group. */
async function seedSetup(): Promise<{ kafka: Component; server: consumerserver.ConsumerServer; topic: string; groupID: string }> {
  const topic = uniqueName("e2e-seed");
  const groupID = uniqueName("g-seed");
  await createTopic(topic, 3, 3);
  const toml = seed
    .replace(/^brokers=.*$/m, `brokers=${JSON.stringify(brokers)}`)
    .replaceAll('topic="sre-infra-test"', `topic="${topic}"`)
    .replaceAll('groupID="group-1"', `groupID="${groupID}"`)
    .replace("[kafka.consumerGroups.cg1]", `[kafka.producers.p1]\ntopic="${topic}"\n\n[kafka.consumerGroups.cg1]`);
  const cfg = new Config().loadString(toml);
  const kafka = components.track(load("kafka", cfg).build());
  const server = consumerserver.load("kafkaConsumerServers.s1", cfg).build(consumerserver.withEkafka(kafka));
  return { kafka, server, topic, groupID };
}

/**
 * startOffset = -1 (newest) as in the seed: a message written before the member joined is not read, so
 * write one every half second until the handler has one.
 */
async function writeUntil(kafka: Component, done: () => boolean, value: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("no message was handled within 60 s");
    await kafka.producer("p1").writeMessages({ value });
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("the seed's Consumer Server TOML", () => {
  it("onEachMessage reads with consumerName c1 and commits its message", async () => {
    const { kafka, server, topic, groupID } = await seedSetup();
    const value = randomBytes(8).toString("hex");
    let handled: Message | undefined;
    server.onEachMessage((_ctx, message) => {
      if (message.valueString() === value) handled ??= message;
    });
    const started = server.start();
    await writeUntil(kafka, () => handled !== undefined, value);
    await server.gracefulStop();
    await started;
    const offsets = await kafka.client().offsetFetch(groupID, topic);
    expect(offsets.find((p) => p.partition === handled!.partition)?.offset).toBeGreaterThan(handled!.offset);
  });

  it("onStart hands the handler consumer c1", async () => {
    const { kafka, server } = await seedSetup();
    const value = randomBytes(8).toString("hex");
    let read: Message | undefined;
    server.onStart(async (ctx, consumer) => {
      expect(consumer.name).toBe("c1");
      while (read === undefined) {
        const message = await consumer.readMessage({ signal: ctx.signal });
        if (message.valueString() === value) read = message;
      }
    });
    const started = server.start();
    await writeUntil(kafka, () => read !== undefined, value);
    await started;
    expect(read?.valueString()).toBe(value);
  });

  it("onConsumerGroupStart hands the handler consumer group cg1", async () => {
    const { kafka, server } = await seedSetup();
    const value = randomBytes(8).toString("hex");
    let read: Message | undefined;
    server.onConsumerGroupStart(async (ctx, group) => {
      expect(group.name).toBe("cg1");
      while (read === undefined) {
        const event = await group.poll({ signal: ctx.signal });
        if (event instanceof Message) {
          group.storeOffsets(event);
          if (event.valueString() === value) read = event;
        }
      }
    });
    const started = server.start();
    await writeUntil(kafka, () => read !== undefined, value);
    await started;
    expect(read?.valueString()).toBe(value);
  });
});
