// A write waits for what it needs instead of failing: the first write to a topic the cluster creates on
// first use, writes made while every broker is down (within writeTimeout), and a malformed message that
// stops its whole call before anything is sent. (A topic that really does not exist: bad-input.test.ts.)
import { describe, expect, it } from "vitest";
import { KafkaError, type Message } from "ekafka";
import { componentsClosedAfterEach } from "./support/component.js";
import { cluster, localCluster, uniqueName } from "./support/env.js";
import { consumeCount, createTopic } from "./support/raw.js";

const { build: component } = componentsClosedAfterEach();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a write waits for metadata", () => {
  it("the README quick start's first write to a topic that does not exist yet succeeds (the cluster creates it)", async () => {
    const topic = uniqueName("quickstart-new");
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
`);
    expect(await kafka.client().topicExists(topic)).toBe(false);
    await kafka.producer("p1").writeMessages({ key: "k", value: "hello" });
    const [read] = await consumeCount(topic, 1);
    expect(read!.value?.toString()).toBe("hello");
    expect(read!.key?.toString()).toBe("k");
  });

  it.skipIf(!localCluster)(
    "writes made while all three brokers are down for 20 s complete once they are back (writeTimeout 90 s), none lost",
    async () => {
      const topic = uniqueName("outage");
      // Written for the first time only once every broker is down: its metadata is not known yet.
      const lateTopic = uniqueName("outage-late");
      await createTopic(topic, 3, 3);
      await createTopic(lateTopic, 3, 3);
      const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
writeTimeout = "90s"
batchTimeout = "5ms"
`);
      const producer = kafka.producer("p1");
      await producer.writeMessages({ value: "warm-up" }); // connects and learns the topic's partitions
      const started = Date.now();
      const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      let phase: "before" | "stopping" | "down" | "starting" | "after" = "before";
      const attempted: Record<string, number> = { before: 0, stopping: 0, down: 0, starting: 0, after: 0 };
      const values = new Set<string>();
      const failures: string[] = [];
      const writes: Promise<void>[] = [];
      let acknowledged = 0;
      const write = (value: string, toTopic?: string) => {
        attempted[phase]!++;
        values.add(value);
        writes.push(
          producer.writeMessages({ value, ...(toTopic === undefined ? {} : { topic: toTopic }) }).then(
            () => void acknowledged++,
            (error: unknown) => void failures.push(`${value}: ${error instanceof Error ? error.message : String(error)}`),
          ),
        );
      };
      let seq = 0;
      let writing = true;
      // One message per write call, 100 calls a second, not awaited one by one: as a service writes.
      const writer = (async () => {
        while (writing) {
          write(`m${seq++}`);
          await sleep(10);
        }
      })();
      const lateValues: string[] = [];
      // The partition list fetched by the warm-up is 30 s old during the outage: it stays in use.
      await sleep(12_000);
      phase = "stopping";
      console.log(`${at()}: stopping all brokers`);
      await cluster("down");
      phase = "down";
      console.log(`${at()}: all brokers down`);
      for (let i = 0; i < 10; i++) {
        lateValues.push(`late${i}`);
        write(`late${i}`, lateTopic);
      }
      await sleep(20_000);
      phase = "starting";
      console.log(`${at()}: starting the brokers`);
      await cluster("up");
      phase = "after";
      console.log(`${at()}: all brokers up`);
      await sleep(3_000);
      writing = false;
      await writer;
      await Promise.all(writes);
      console.log(`${at()}: every write settled`);

      const mainValues = [...values].filter((v) => !v.startsWith("late"));
      const readMain = await consumeCount(topic, mainValues.length + 1, {}, 120_000);
      const readLate = await consumeCount(lateTopic, lateValues.length, {}, 60_000);
      const readBack = new Set([...readMain, ...readLate].map((m) => m.value!.toString()));
      const total = values.size;
      const missing = [...values].filter((v) => !readBack.has(v));
      console.log(
        `outage of all brokers: attempted ${total} (before ${attempted.before}, stopping ${attempted.stopping}, down ${attempted.down}, ` +
          `starting ${attempted.starting}, after ${attempted.after}; ${lateValues.length} to a topic first written while down), ` +
          `acknowledged ${acknowledged}, failed ${failures.length}, read back ${[...values].filter((v) => readBack.has(v)).length}`,
      );
      expect(failures.slice(0, 5)).toEqual([]);
      expect(acknowledged).toBe(total);
      expect(missing.slice(0, 5)).toEqual([]);
      expect(attempted.down).toBeGreaterThan(0);
    },
    400_000,
  );
});

describe("a malformed message", () => {
  it("stops its whole call before anything is sent, naming the message's index and the field", async () => {
    const topic = uniqueName("malformed");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
`);
    const producer = kafka.producer("p1");
    const error = await producer.writeMessages({ value: "first" }, { value: "second", key: "k" }, { value: 42 as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("kafka.producers.p1: writeMessages: message 2: value must be a string, a Buffer or null, got number 42");
    const headerError = await producer.writeMessages({ value: "third", headers: { trace: 7 as never } }).catch((e: unknown) => e);
    expect((headerError as Error).message).toBe("kafka.producers.p1: writeMessages: message 0: headers.trace must be a string or a Buffer, got number 7");
    const partitionError = await producer.writeMessages({ value: "fourth", partition: -2 }).catch((e: unknown) => e);
    expect((partitionError as Error).message).toContain("message 0: partition must be a non-negative integer");
    expect(error).not.toBeInstanceOf(KafkaError);

    await producer.writeMessages({ value: "marker" });
    const [read] = await consumeCount(topic, 1);
    expect(read!.value?.toString()).toBe("marker");
    // The marker is the topic's only record: nothing of the rejected calls was written before it or after.
    const [end] = await kafka.client().listOffsets(topic, "latest");
    expect(end!.offset).toBe(1);
    expect(read!.offset).toBe(0);
  });

  it("a message the broker refuses fails alone: the rest of the call is delivered and listed as such", async () => {
    const topic = uniqueName("partial");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
`);
    const error = await kafka
      .producer("p1")
      .writeMessages({ value: "ok" }, { value: "to a partition that does not exist", partition: 7 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    const failed = (error as KafkaError & { failed: Message[] }).failed;
    expect(failed.map((m) => m.valueString())).toEqual(["to a partition that does not exist"]);
    const [read] = await consumeCount(topic, 1);
    expect(read!.value?.toString()).toBe("ok");
  });
});
