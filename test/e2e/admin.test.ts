// client(): the admin client against the real cluster: topics, metadata, offsets, a group's committed
// offsets, deletion and the health check.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCodes, KafkaError, Message, withLogger, type Component, type PartitionOffset, type TopicInfo } from "ekafka";
import { buildComponent, FAST_GROUP } from "./support/component.js";
import { brokers, uniqueName } from "./support/env.js";
import { waitForTopic } from "./support/raw.js";
import { until } from "./support/wait.js";

const components: Component[] = [];
afterAll(async () => {
  await Promise.all(components.map((c) => c.close().catch(() => undefined)));
});

function component(toml = ""): Component {
  const kafka = buildComponent(toml);
  components.push(kafka);
  return kafka;
}

/**
 * Creates a topic and waits until every broker describes all its partitions: brokers learn of it one by
 * one, and each later call may ask any of them (one that had not yet learnt of it failed a listOffsets).
 */
async function createAndWait(client: ReturnType<Component["client"]>, topic: string, partitions: number): Promise<void> {
  await client.createTopics([{ topic, numPartitions: partitions, replicationFactor: 3 }]);
  await waitForTopic(topic, partitions);
}

const byPartition = (offsets: PartitionOffset[]) => offsets.map((o) => o.offset);
const sum = (offsets: PartitionOffset[]) => offsets.reduce((total, o) => total + o.offset, 0);

describe("client()", () => {
  it("ping resolves against the running cluster", async () => {
    await expect(component().client().ping()).resolves.toBeUndefined();
  });

  it("creates a topic with 3 partitions on 3 replicas, lists it and describes it", async () => {
    const client = component().client();
    const topic = uniqueName("admin-create");
    expect(await client.topicExists(topic)).toBe(false);
    await client.createTopics([{ topic, numPartitions: 3, replicationFactor: 3, config: { "retention.ms": "3600000" } }]);

    // Brokers learn of a new topic one after the other, and each call may ask another of them: wait
    // until every broker knows it, then each call must see it.
    await waitForTopic(topic, 3);
    expect(await client.topicExists(topic)).toBe(true);
    expect(await client.listTopics()).toContain(topic);

    // Replicas join the in-sync set in their own time: ask until all three have.
    let info: TopicInfo | undefined;
    await until(
      async () => {
        [info] = await client.metadata(topic);
        return info !== undefined && info.partitions.length === 3 && info.partitions.every((p) => p.isr.length === 3);
      },
      30_000,
      `every partition of ${topic} with 3 in-sync replicas`,
      200,
    );
    expect(info!.name).toBe(topic);
    expect(info!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of info!.partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect([...p.isr].sort()).toEqual([1, 2, 3]);
      expect(p.replicas).toContain(p.leader);
    }
    // metadata() of every topic includes it too
    const all = await client.metadata();
    expect(all.map((t) => t.name)).toContain(topic);

    // creating it again is an error that names the topic, unless told to ignore existing ones
    const again = await client.createTopics([{ topic, numPartitions: 3, replicationFactor: 3 }]).catch((err: unknown) => err);
    expect(again).toBeInstanceOf(KafkaError);
    expect((again as KafkaError).message).toContain(topic);
    await expect(
      client.createTopics([{ topic, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true }),
    ).resolves.toBeUndefined();
  });

  it("metadata and listOffsets of a topic that does not exist reject naming it", async () => {
    const client = component().client();
    const topic = uniqueName("admin-unknown");
    for (const call of [() => client.metadata(topic), () => client.listOffsets(topic), () => client.offsetFetch(uniqueName("g"), topic)]) {
      const err = await call().then(
        (result) => result,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KafkaError);
      expect((err as KafkaError).code).toBe(ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART);
      expect((err as KafkaError).message).toContain(`Metadata (topic ${topic}) failed: Broker: Unknown topic or partition`);
    }
    // metadata() of every topic leaves it out; of several topics, the one unknown fails the call
    const existing = uniqueName("admin-known");
    await createAndWait(client, existing, 1);
    expect((await client.metadata()).map((t) => t.name)).toContain(existing);
    expect((await client.metadata()).map((t) => t.name)).not.toContain(topic);
    await expect(client.metadata(existing, topic)).rejects.toThrow(`Metadata (topic ${topic})`);
  });

  it("refuses a topic with more replicas than brokers, naming the topic", async () => {
    const client = component().client();
    const topic = uniqueName("admin-rf4");
    const err = await client.createTopics([{ topic, numPartitions: 1, replicationFactor: 4 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).message).toContain(topic);
    expect((err as KafkaError).operation).toContain("CreateTopics");
    expect(await client.topicExists(topic)).toBe(false);
  });

  it("lists earliest, latest and by-time offsets; offsetFetch shows what a group committed", async () => {
    const topic = uniqueName("admin-offsets");
    const group = uniqueName("admin-group");
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"

[kafka.consumerGroups.g1]
topic = "${topic}"
groupID = "${group}"
startOffset = -2
commitInterval = "0"
${FAST_GROUP}
`);
    const client = kafka.client();
    await createAndWait(client, topic, 3);

    const empty = await client.listOffsets(topic, "latest");
    expect(empty.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      [topic, 0, 0],
      [topic, 1, 0],
      [topic, 2, 0],
    ]);

    // 30 messages an hour old, then one new message per partition
    const hourAgo = new Date(Date.now() - 3_600_000);
    await kafka.producer("p1").writeMessages(...Array.from({ length: 30 }, (_, i) => ({ value: `old-${i}`, time: hourAgo })));
    const beforeNew = await client.listOffsets(topic, "latest");
    expect(sum(beforeNew)).toBe(30);
    await kafka.producer("p1").writeMessages(...[0, 1, 2].map((partition) => ({ value: `new-${partition}`, partition })));
    const N = 33;

    const earliest = await client.listOffsets(topic, "earliest");
    expect(byPartition(earliest)).toEqual([0, 0, 0]);
    const latest = await client.listOffsets(topic);
    expect(latest.map((o) => o.partition)).toEqual([0, 1, 2]);
    expect(sum(latest)).toBe(N);
    expect(byPartition(latest)).toEqual(byPartition(beforeNew).map((o) => o + 1));

    // the first offset at or after a time: half an hour ago is where the new messages start
    const halfHourAgo = await client.listOffsets(topic, new Date(Date.now() - 1_800_000));
    expect(byPartition(halfHourAgo)).toEqual(byPartition(beforeNew));
    const longAgo = await client.listOffsets(topic, new Date(hourAgo.getTime() - 60_000));
    expect(byPartition(longAgo)).toEqual([0, 0, 0]);

    // a group that has committed nothing has no offsets (see the -1 test below for the exact value)
    const none = await client.offsetFetch(group, topic);
    expect(none.map((o) => o.partition)).toEqual([0, 1, 2]);
    expect(none.every((o) => o.offset < 0)).toBe(true);

    // read everything and commit it (commitInterval 0: synchronously)
    const member = kafka.consumerGroup("g1");
    const read: Message[] = [];
    const deadline = Date.now() + 30_000;
    while (read.length < N) {
      const event = await member.poll({ timeoutMs: Math.max(1, deadline - Date.now()) });
      if (event instanceof Error) throw event;
      if (event instanceof Message) read.push(event);
    }
    await member.commitMessages(...read);

    // The commit should be done when commitMessages resolves; it is not (see the test below), so wait
    // for it to land.
    let committed: PartitionOffset[] = [];
    await until(
      async () => {
        committed = await client.offsetFetch(group, topic);
        return committed.every((o) => o.offset >= 0);
      },
      30_000,
      "the commit to land",
      200,
    );
    expect(committed).toEqual(latest);
    const allTopics = await client.offsetFetch(group);
    expect(allTopics).toEqual(latest);
  });

  // BUG (reported): src/rdkafka.ts commitAsync uses the binding's commitCb, whose worker calls librdkafka's
  // commitAsync and calls back at once, before the coordinator answered. So commitMessages with
  // commitInterval = 0 resolves before the commit is done, and a commit the broker refuses is never
  // reported (the same commit through commitSync throws "Broker: Unknown topic or partition").
  it("commitMessages with commitInterval = 0 waits for the coordinator and reports its refusal", async () => {
    const topic = uniqueName("admin-refused");
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"

[kafka.consumerGroups.g1]
topic = "${topic}"
groupID = "${uniqueName("admin-refused-group")}"
commitInterval = "0"
${FAST_GROUP}
`);
    await createAndWait(kafka.client(), topic, 1);
    await kafka.producer("p1").writeMessages({ value: "x" });
    const member = kafka.consumerGroup("g1");
    const deadline = Date.now() + 30_000;
    for (;;) {
      const event = await member.poll({ timeoutMs: Math.max(1, deadline - Date.now()) });
      if (event instanceof Error) throw event;
      if (event instanceof Message) break;
    }
    // An offset of a topic that does not exist: the broker answers UNKNOWN_TOPIC_OR_PARTITION.
    const ghost = new Message({ topic: uniqueName("admin-no-such-topic"), partition: 0, offset: 5 });
    const outcome = await member.commitMessages(ghost).then(
      () => "resolved",
      (err: unknown) => err,
    );
    expect(outcome).toBeInstanceOf(KafkaError);
    expect((outcome as KafkaError).message).toMatch(/unknown topic or partition/i);
  });

  // BUG (reported): src/client.ts offsetFetch documents "-1 where it has none" but passes librdkafka's
  // OFFSET_INVALID (-1001) through.
  it("offsetFetch gives -1 for the partitions a group has committed nothing to, as documented", async () => {
    const client = component().client();
    const topic = uniqueName("admin-nocommit");
    await createAndWait(client, topic, 3);
    const none = await client.offsetFetch(uniqueName("admin-nogroup"), topic);
    expect(none.map((o) => [o.partition, o.offset])).toEqual([
      [0, -1],
      [1, -1],
      [2, -1],
    ]);
  });

  it("deletes a topic: it no longer exists", async () => {
    const client = component().client();
    const topic = uniqueName("admin-delete");
    await client.createTopics([{ topic, numPartitions: 1, replicationFactor: 3 }]);
    await until(() => client.topicExists(topic), 15_000, `${topic} to exist`, 200);
    await client.deleteTopics(topic);
    await until(async () => !(await client.topicExists(topic)), 15_000, `${topic} to be gone`, 200);
  });

  it("deleting a topic that does not exist is an error naming it", async () => {
    const client = component().client();
    const topic = uniqueName("admin-missing");
    const err = await client.deleteTopics(topic).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).message).toContain(topic);
  });

  it("runs admin calls through the client interceptors (the access log names them)", async () => {
    const lines: string[] = [];
    const logger = pino(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const kafka = buildComponent(`enableAccessInterceptor = true`, withLogger(logger));
    components.push(kafka);
    await kafka.client().ping();
    await kafka.client().listTopics();
    const access = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "access");
    expect(access.map((l) => l["operation"])).toEqual(["Ping", "ListTopics"]);
    expect(access[0]).toMatchObject({ key: "kafka", type: "client", brokers: brokers.join(",") });
  });
});
