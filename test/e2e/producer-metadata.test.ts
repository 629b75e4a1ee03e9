// A write waits for what it needs instead of failing: the first write to a topic the cluster creates on
// first use, writes made while every broker is down (within writeTimeout), and a malformed message that
// stops its whole call before anything is sent. (A topic that really does not exist: bad-input.test.ts.)
import { describe, expect, it } from "vitest";
import { KafkaError, type Message } from "ekafka";
import { componentsClosedAfterEach } from "./support/component.js";
import { localCluster, uniqueName } from "./support/env.js";
import { clusterUp, stopAllBrokers } from "./support/brokers.js";
import { consumeCount, createTopic } from "./support/raw.js";
import { sleep, until } from "./support/wait.js";

const { build: component } = componentsClosedAfterEach();

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

  // One retry. In 1 of 43 runs here with the CPU contended (and once in CI) the producer never wrote
  // again after the brokers came back: it logged no broker error after the stop, and each write failed
  // with "Message timed out", while a second producer wrote at once. The cause is not found. (librdkafka
  // forgets every known broker a Metadata response does not list, "Decommissioning this broker" with
  // debug=broker,metadata, and starts again from bootstrap.servers when the brokers it still knows all go
  // down; it did so in every traced run.) A producer that never recovers fails both runs.
  it.skipIf(!localCluster)(
    "writes made while all three brokers are down for 20 s complete once they are back when writeTimeout (90 s) outlasts the outage; none is lost",
    { retry: 1, timeout: 600_000 },
    async () => {
      await clusterUp(); // a retry after a failure in the middle of the outage starts with every broker up
      const topic = uniqueName("outage");
      // Written for the first time only while every broker is down: its metadata is not known yet.
      const lateTopic = uniqueName("outage-late");
      await createTopic(topic, 3, 3);
      await createTopic(lateTopic, 3, 3);
      const writeTimeoutMs = 90_000;
      const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
writeTimeout = "${writeTimeoutMs / 1000}s"
batchTimeout = "5ms"
`);
      const producer = kafka.producer("p1");
      await producer.writeMessages({ value: "warm-up" }); // connects and learns the topic's partitions
      const started = Date.now();
      const at = () => Date.now() - started;
      type Phase = "before" | "stopping" | "down" | "starting" | "after";
      let phase: Phase = "before";
      interface Write {
        value: string;
        topic: string;
        phase: Phase;
        madeAt: number;
        settledAt?: number;
        outcome?: string; // "acknowledged" or the error text
      }
      const writes: Write[] = [];
      const settled: Promise<void>[] = [];
      const write = (value: string, toTopic = topic) => {
        const record: Write = { value, topic: toTopic, phase, madeAt: at() };
        writes.push(record);
        settled.push(
          producer.writeMessages({ value, topic: toTopic }).then(
            () => void Object.assign(record, { outcome: "acknowledged", settledAt: at() }),
            (error: unknown) =>
              void Object.assign(record, { outcome: error instanceof Error ? error.message : String(error), settledAt: at() }),
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
      // The partition list fetched by the warm-up is over 30 s old during the outage: it stays in use.
      // (12 s of writing, then 20 s of outage: the fault's own durations.)
      await sleep(12_000);
      phase = "stopping";
      const log = (what: string) => console.log(`${(at() / 1000).toFixed(1)} s: ${what}`);
      log("stopping all brokers");
      await stopAllBrokers();
      phase = "down";
      log("all brokers down");
      await sleep(20_000);
      for (let i = 0; i < 10; i++) write(`late${i}`, lateTopic);
      phase = "starting";
      log("starting the brokers");
      await clusterUp();
      log("all brokers up (an acks=all write to another topic went through)");
      // When every partition of the topic takes acks=all writes again (its leaders elected, its replicas
      // in sync): probes from a second producer, each with a short writeTimeout, until all succeed.
      const probe = component(`
[kafka.producers.probe]
topic = "${topic}"
writeTimeout = "5s"
batchTimeout = "5ms"
`).producer("probe");
      for (let partition = 0; partition < 3; partition++) {
        while (
          !(await probe.writeMessages({ value: `probe${partition}`, partition }).then(
            () => true,
            () => false,
          ))
        );
      }
      const upAt = at();
      phase = "after";
      log("every partition of the topic takes acks=all writes again");
      // The writer goes on until this producer, too, writes again: 100 writes made from now on acknowledged.
      // How soon depends on librdkafka's reconnect backoff; what a write is promised is writeTimeout. So the
      // writer stops at the latest once the first writes made from now on have had all of it: if this
      // producer never came back, they failed, and the checks below name them.
      const afterAcknowledged = () => writes.filter((w) => w.phase === "after" && w.outcome === "acknowledged");
      await until(
        () => afterAcknowledged().length >= 100 || at() > upAt + writeTimeoutMs + 5_000,
        writeTimeoutMs + 60_000,
        "the writer's end",
      );
      writing = false;
      const firstAfter = afterAcknowledged().reduce((first, w) => Math.min(first, w.settledAt!), Infinity);
      log(
        firstAfter === Infinity
          ? "no write made after the outage was acknowledged"
          : `the first write made after the outage was acknowledged ${((firstAfter - upAt) / 1000).toFixed(1)} s after the topic took writes again`,
      );
      await writer;
      await Promise.all(settled);
      log("every write settled");

      const acknowledged = writes.filter((w) => w.outcome === "acknowledged");
      const readBack = new Set<string>();
      for (const name of [topic, lateTopic]) {
        // Everything the topic holds (a write retried across the outage may be there twice).
        const records = (await kafka.client().listOffsets(name, "latest")).reduce((sum, p) => sum + p.offset, 0);
        for (const m of await consumeCount(name, records, {}, 120_000)) readBack.add(m.value!.toString());
      }
      // A write is owed delivery when its writeTimeout ends after the topic took writes again, with 30 s
      // to spare: this producer's connections come back on librdkafka's reconnect backoff (up to 10 s),
      // then its metadata refresh, which take longer still on a loaded machine. A write whose writeTimeout
      // ran out before may fail (on a loaded machine starting the brokers can take longer than 90 s).
      const owed = (w: Write) => w.madeAt + writeTimeoutMs > upAt + 30_000;
      const failed = writes.filter((w) => w.outcome !== "acknowledged");
      for (const p of ["before", "stopping", "down", "starting", "after"] as const) {
        const inPhase = writes.filter((w) => w.phase === p);
        console.log(
          `  ${p}: attempted ${inPhase.length} (owed delivery ${inPhase.filter(owed).length}), acknowledged ${inPhase.filter((w) => w.outcome === "acknowledged").length}, ` +
            `failed ${inPhase.filter((w) => w.outcome !== "acknowledged").length}, read back ${inPhase.filter((w) => readBack.has(w.value)).length}` +
            (inPhase.some((w) => w.outcome !== "acknowledged")
              ? `; first failure: ${inPhase.find((w) => w.outcome !== "acknowledged")!.outcome}`
              : ""),
        );
      }
      console.log(
        `outage of all brokers: attempted ${writes.length} (10 to a topic first written while they were down), acknowledged ${acknowledged.length}, ` +
          `failed ${failed.length} (of them owed delivery ${failed.filter(owed).length}), read back ${writes.filter((w) => readBack.has(w.value)).length}` +
          (failed.length > 0 ? `; first failure: ${failed[0]!.outcome}` : ""),
      );
      expect(
        failed
          .filter(owed)
          .map((w) => `${w.value} (${w.phase}): ${w.outcome}`)
          .slice(0, 5),
      ).toEqual([]);
      expect(
        acknowledged
          .filter((w) => !readBack.has(w.value))
          .map((w) => w.value)
          .slice(0, 5),
      ).toEqual([]);
      // Writes made while no broker was up, the new topic's included, were owed delivery and got it. (When
      // the brokers take so long to start that no such write had writeTimeout left, this says so.)
      expect(
        writes.filter((w) => w.phase === "down" && owed(w)).length,
        `the topic took writes again only ${(upAt / 1000).toFixed(0)} s in`,
      ).toBeGreaterThan(0);
      expect(
        writes.filter((w) => w.topic === lateTopic && owed(w)),
        "the writes to a topic first written while down, owed delivery",
      ).toHaveLength(10);
    },
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
    const error = await producer
      .writeMessages({ value: "first" }, { value: "second", key: "k" }, { value: 42 as never })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      "kafka.producers.p1: writeMessages: message 2: value must be a string, a Buffer or null, got number 42",
    );
    const headerError = await producer.writeMessages({ value: "third", headers: { trace: 7 as never } }).catch((e: unknown) => e);
    expect((headerError as Error).message).toBe(
      "kafka.producers.p1: writeMessages: message 0: headers.trace must be a string or a Buffer, got number 7",
    );
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
