// Bad input against a real cluster: each mistake gets an error that names what was wrong and where, and
// none escapes as an unhandled rejection. (Config mistakes that need no broker are in
// test/unit/container.test.ts and test/unit/core; credentials and unreachable brokers in security.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssignedPartitions, ClosedError, KafkaError, type ConsumerGroupEvent } from "ekafka";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";

const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", recordUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", recordUnhandled);
  expect(unhandled).toEqual([]);
});

const { build: component } = componentsClosedAfterEach();

describe("bad input", () => {
  it("writing to a topic that does not exist, with auto-creation off, names the topic", async () => {
    const topic = uniqueName("missing");
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
writeTimeout = "2s"
[kafka.producers.p1.properties]
"allow.auto.create.topics" = false
`);
    const started = Date.now();
    const error = await kafka
      .producer("p1")
      .writeMessages({ value: "x" })
      .catch((e: unknown) => e);
    // The write waited writeTimeout for the topic to appear before giving up.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000 - 50);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).message).toBe(
      `kafka.producers.p1: WriteMessages failed: topic ${topic} does not exist or has no partitions (none of the 1 messages was delivered)`,
    );
    expect(await kafka.client().topicExists(topic)).toBe(false);
  });

  it("a consumer group on a topic that does not exist gets an error event naming the topic", async () => {
    const topic = uniqueName("missing");
    const kafka = component(`
[kafka.consumerGroups.cg]
topic = "${topic}"
groupID = "${uniqueName("g")}"
${FAST_GROUP}
[kafka.consumerGroups.cg.properties]
"allow.auto.create.topics" = false
`);
    const group = kafka.consumerGroup("cg");
    let event: ConsumerGroupEvent;
    do event = await group.poll({ timeoutMs: 30_000 });
    while (event instanceof AssignedPartitions);
    expect(event).toBeInstanceOf(KafkaError);
    expect((event as KafkaError).message).toContain(`kafka.consumerGroups.cg: FetchMessage (topic ${topic}) failed`);
    expect((event as KafkaError).message).toMatch(/unknown topic or partition/i);
    expect((event as KafkaError).operation).toBe("FetchMessage");
  });

  it("a message larger than the topic allows is refused with the broker's reason", async () => {
    const topic = uniqueName("small");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
`);
    await kafka
      .client()
      .createTopics([{ topic: `${topic}-tiny`, numPartitions: 1, replicationFactor: 3, config: { "max.message.bytes": "1000" } }]);
    const error = await kafka
      .producer("p1")
      .writeMessages({ topic: `${topic}-tiny`, value: Buffer.alloc(5000, 1) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).message).toMatch(
      new RegExp(`kafka\\.producers\\.p1: WriteMessages \\(topic ${topic}-tiny partition 0\\) failed: Broker: Message size too large`),
    );
    expect((error as KafkaError).message).toContain("larger than the broker or topic allows");
    expect((error as KafkaError & { failed: unknown[] }).failed).toHaveLength(1);
  });

  it("a message larger than the client allows is refused before it is sent", async () => {
    const topic = uniqueName("huge");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
`);
    const error = await kafka
      .producer("p1")
      .writeMessages({ value: "ok" }, { value: Buffer.alloc(2 * 1024 * 1024, 1) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).message).toMatch(/Message size too large/i);
    // The first message was accepted before the second was refused: it is delivered, not lost.
    expect((error as KafkaError).message).toContain("1 of 2 messages were not delivered (the others were)");
  });

  it("a message that is not an object, or has no topic anywhere, is a TypeError naming its position", async () => {
    const kafka = component(`
[kafka.producers.notopic]
batchTimeout = "5ms"
`);
    await expect(kafka.producer("notopic").writeMessages({ value: "x" })).rejects.toThrow(
      "kafka.producers.notopic: writeMessages: message 0 has no topic and the producer has none configured (set kafka.producers.notopic.topic)",
    );
    await expect(kafka.producer("notopic").writeMessages(undefined as never)).rejects.toThrow(
      "kafka.producers.notopic: writeMessages: message 0 must be an object with a value, got undefined",
    );
  });

  it("every instance refuses calls after close() with a ClosedError naming it", async () => {
    const topic = uniqueName("closed");
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
[kafka.consumerGroups.cg]
topic = "${topic}"
groupID = "${uniqueName("g")}"
`);
    const producer = kafka.producer("p1");
    const group = kafka.consumerGroup("cg");
    await kafka.close();
    await expect(producer.writeMessages({ value: "x" })).rejects.toBeInstanceOf(ClosedError);
    await expect(group.poll({ timeoutMs: 1000 })).rejects.toBeInstanceOf(ClosedError);
    expect(() => kafka.producer("p1")).toThrow("component kafka is closed: producers() was called after close()");
  });
});
