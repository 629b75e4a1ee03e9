// Producer and Consumer behaviour on the real cluster: balancers, explicit partitions and topics,
// headers, async writes, and the partition consumer's offsets and lag.
import { describe, expect, it } from "vitest";
import { ClosedError, Hash, KafkaError, withRegisterBalancer, type Balancer, type Message } from "ekafka";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { consumeCount, createTopic } from "./support/raw.js";
import { until } from "./support/wait.js";

const { build: component } = componentsClosedAfterEach();

describe("Producer", () => {
  it("puts each key on the partition kafka-go's Hash balancer picks", async () => {
    const topic = uniqueName("e2e-hash");
    await createTopic(topic, 3, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
balancer = "hash"
batchTimeout = "5ms"
`);
    const keys = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    await kafka.producer("p1").writeMessages(...keys.map((key) => ({ key, value: key })));
    const consumed = await consumeCount(topic, keys.length);
    const hash = new Hash();
    for (const m of consumed) {
      expect(m.partition, m.key!.toString()).toBe(hash.balance({ key: m.key as Buffer, value: null }, [0, 1, 2]));
    }
    expect(new Set(consumed.map((m) => m.partition)).size).toBeGreaterThan(1);
  });

  it("uses a registered balancer, honours an explicit partition and a per-message topic, and carries headers", async () => {
    const topic = uniqueName("e2e-explicit");
    const other = uniqueName("e2e-other");
    await createTopic(topic, 3, 3);
    await createTopic(other, 3, 3);
    const alwaysTwo: Balancer = { balance: (_m, partitions) => partitions[2]! };
    const kafka = component(
      `
[kafka.producers.p1]
topic = "${topic}"
balancer = "alwaysTwo"
batchTimeout = "5ms"
`,
      withRegisterBalancer("alwaysTwo", alwaysTwo),
    );
    await kafka
      .producer("p1")
      .writeMessages(
        { value: "balanced", headers: { "x-id": "1" } },
        { value: "explicit", partition: 0, headers: [{ key: "x-id", value: Buffer.from("2") }] },
        { value: "elsewhere", topic: other, partition: 1 },
      );
    const onTopic = await consumeCount(topic, 2);
    const byValue = new Map(onTopic.map((m) => [m.value!.toString(), m]));
    expect(byValue.get("balanced")?.partition).toBe(2);
    expect(byValue.get("explicit")?.partition).toBe(0);
    expect(byValue.get("balanced")?.headers).toEqual([{ "x-id": Buffer.from("1") }]);
    const onOther = await consumeCount(other, 1);
    expect(onOther[0]?.partition).toBe(1);
    expect(onOther[0]?.value?.toString()).toBe("elsewhere");
  });

  it("rejects with the broker's reason and rejects writes after close()", async () => {
    const topic = uniqueName("e2e-reject");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
writeTimeout = "5s"
`);
    const producer = kafka.producer("p1");
    const error = await producer.writeMessages({ value: "x", partition: 7 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).message).toMatch(/kafka\.producers\.p1: WriteMessages \(topic .* partition 7\) failed: .*partition/i);
    await producer.close();
    await expect(producer.writeMessages({ value: "late" })).rejects.toBeInstanceOf(ClosedError);
    await expect(producer.writeMessages({ value: "late" })).rejects.toThrow(
      "kafka.producers.p1 is closed: writeMessages() was called after close()",
    );
  });

  it("async = true resolves once queued and reports failed deliveries to the handler", async () => {
    const topic = uniqueName("e2e-async");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
async = true
batchTimeout = "5ms"
writeTimeout = "3s"
`);
    const producer = kafka.producer("p1");
    const failures: Message[][] = [];
    producer.onAsyncError((_err, messages) => failures.push(messages));
    await producer.writeMessages({ value: "one" }, { value: "two" });
    await producer.writeMessages({ value: "nowhere", partition: 9 });
    const consumed = await consumeCount(topic, 2);
    expect(consumed.map((m) => m.value!.toString()).sort()).toEqual(["one", "two"]);
    await until(() => failures.length > 0, 30_000, "the failed write's async error", 50);
    expect(failures.flat().map((m) => m.valueString())).toEqual(["nowhere"]);
  });
});

describe("Consumer", () => {
  it("reads one partition directly: offset, setOffset, setOffsetAt, lag and readLag", async () => {
    const topic = uniqueName("e2e-partition");
    await createTopic(topic, 2, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.consumers.c1]
topic = "${topic}"
partition = 1
maxWait = "100ms"
`);
    const t0 = Date.now();
    const values = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await kafka.producer("p1").writeMessages(...values.map((value, i) => ({ value, partition: 1, time: new Date(t0 + i * 1000) })));
    await kafka.producer("p1").writeMessages({ value: "other partition", partition: 0 });

    const consumer = kafka.consumer("c1");
    expect(consumer.offset()).toBe(-2);
    const read: Message[] = [];
    for (let i = 0; i < 10; i++) read.push(await consumer.readMessage({ timeoutMs: 30_000 }));
    expect(read.map((m) => m.valueString())).toEqual(values);
    expect(read.map((m) => m.offset)).toEqual(values.map((_, i) => i));
    expect(read.every((m) => m.partition === 1)).toBe(true);
    expect(consumer.offset()).toBe(10);
    expect(await consumer.readLag()).toBe(0);
    expect(consumer.lag()).toBe(0);

    await consumer.setOffset(5);
    expect((await consumer.readMessage({ timeoutMs: 30_000 })).offset).toBe(5);
    expect(await consumer.readLag()).toBe(4);

    await consumer.setOffsetAt(new Date(t0 + 7000));
    expect((await consumer.fetchMessage({ timeoutMs: 30_000 })).valueString()).toBe("m7");

    await expect(consumer.commitMessages(read[0]!)).rejects.toThrow(/commitMessages is not available without a groupID/);
  });

  it("in a group, readMessage commits what it read, so a new member continues after it", async () => {
    const topic = uniqueName("e2e-commit");
    const groupID = uniqueName("g");
    await createTopic(topic, 1, 3);
    const toml = `
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.consumers.c1]
topic = "${topic}"
groupID = "${groupID}"
${FAST_GROUP}
`;
    const first = component(toml);
    await first.producer("p1").writeMessages({ value: "a" }, { value: "b" }, { value: "c" });
    const consumer = first.consumer("c1");
    expect((await consumer.readMessage({ timeoutMs: 30_000 })).valueString()).toBe("a");
    expect((await consumer.readMessage({ timeoutMs: 30_000 })).valueString()).toBe("b");
    await expect(consumer.setOffset(0)).rejects.toThrow(/setOffset is not available with a groupID/);
    await first.close();

    const second = component(toml);
    expect((await second.consumer("c1").readMessage({ timeoutMs: 30_000 })).valueString()).toBe("c");
    const committed = await second.client().offsetFetch(groupID, topic);
    expect(committed).toEqual([{ topic, partition: 0, offset: 3 }]);
  });
});
