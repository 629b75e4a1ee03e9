// The Go original's e2e scenarios, in TypeScript, on the 3-broker cluster.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  AssignedPartitions,
  ClosedError,
  KafkaError,
  Message,
  RevokedPartitions,
  type ConsumerGroup,
  type ConsumerGroupEvent,
} from "ekafka";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { committed } from "./support/group.js";
import { createTopic } from "./support/raw.js";
import { until } from "./support/wait.js";

const { build: component } = componentsClosedAfterEach();

/** Polls until stopped, recording every event. */
function pollLoop(group: ConsumerGroup, onEvent: (e: ConsumerGroupEvent) => Promise<void> | void) {
  const stop = new AbortController();
  const done = (async () => {
    while (!stop.signal.aborted) {
      let event: ConsumerGroupEvent;
      try {
        event = await group.poll({ signal: stop.signal });
      } catch (err) {
        if (stop.signal.aborted) return;
        throw err;
      }
      await onEvent(event);
    }
  })();
  return { stop: () => stop.abort(), done };
}

describe("the Go original's e2e scenarios", () => {
  it("a consumer reads back a random message a producer wrote", async () => {
    const topic = uniqueName("e2e-random");
    await createTopic(topic);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.consumers.c1]
topic = "${topic}"
groupID = "${uniqueName("g")}"
${FAST_GROUP}
`);
    const value = randomBytes(16).toString("hex");
    await kafka.producer("p1").writeMessages({ key: "random", value });
    const message = await kafka.consumer("c1").readMessage({ timeoutMs: 30_000 });
    expect(message).toBeInstanceOf(Message);
    expect(message.valueString()).toBe(value);
    expect(message.keyString()).toBe("random");
    expect(message.topic).toBe(topic);
    expect(message.offset).toBe(0);
    expect(message.highWaterMark).toBeGreaterThanOrEqual(1);
  });

  it("two members of one group, the second joining while the first consumes, see 3 assignments and 1 revocation; one consumes and commits", async () => {
    const topic = uniqueName("e2e-rebalance");
    const groupID = uniqueName("g");
    await createTopic(topic, 3, 3);
    const groupToml = (name: string) => `
[kafka.consumerGroups.${name}]
topic = "${topic}"
groupID = "${groupID}"
${FAST_GROUP}
`;
    const first = component(groupToml("cg1"));
    const second = component(`${groupToml("cg2")}
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
`);
    const events: Array<{ member: string; event: ConsumerGroupEvent }> = [];
    const consumed: Message[] = [];
    const record = (member: string, group: ConsumerGroup) => async (event: ConsumerGroupEvent) => {
      events.push({ member, event });
      if (event instanceof Message) {
        consumed.push(event);
        await group.commitMessages(event);
      }
    };
    const count = (type: abstract new (...args: never[]) => unknown, member?: string) =>
      events.filter((e) => e.event instanceof type && (member === undefined || e.member === member)).length;
    const owned = (member: string) => {
      // The partitions a member holds now: its last assignment, unless a revocation came after it.
      const mine = events.filter(
        (e) => e.member === member && (e.event instanceof AssignedPartitions || e.event instanceof RevokedPartitions),
      );
      const last = mine.at(-1)?.event;
      return last instanceof AssignedPartitions ? last.partitions.length : 0;
    };

    const cg1 = first.consumerGroup("cg1");
    const loop1 = pollLoop(cg1, record("cg1", cg1));
    await until(() => count(AssignedPartitions, "cg1") === 1, 30_000, "the first member's assignment");
    expect(owned("cg1")).toBe(3);

    const cg2 = second.consumerGroup("cg2");
    const loop2 = pollLoop(cg2, record("cg2", cg2));
    await until(() => owned("cg1") + owned("cg2") === 3 && owned("cg2") > 0 && count(AssignedPartitions) === 3, 30_000, "the rebalance");

    const value = randomBytes(8).toString("hex");
    await second.producer("p1").writeMessages({ value });
    await until(() => consumed.length === 1, 30_000, "the message");
    // The group commits the message before the loops stop (a stray event would arrive meanwhile).
    const message = consumed[0]!;
    await until(
      async () => (await committed(second, groupID, topic, message.partition)) === message.offset + 1,
      30_000,
      "the message's commit",
    );
    loop1.stop();
    loop2.stop();
    await Promise.all([loop1.done, loop2.done]);

    expect(count(AssignedPartitions)).toBe(3);
    expect(count(RevokedPartitions)).toBe(1);
    expect(count(RevokedPartitions, "cg1")).toBe(1);
    expect(count(KafkaError)).toBe(0);
    expect(consumed.map((m) => m.valueString())).toEqual([value]);

    expect(await committed(second, groupID, topic, message.partition)).toBe(message.offset + 1);
  });
});

describe("consumer groups", () => {
  it("reads several topics, and topics matching a regular expression", async () => {
    const prefix = uniqueName("e2e-multi");
    const topics = [`${prefix}-a`, `${prefix}-b`];
    for (const t of topics) await createTopic(t, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
batchTimeout = "5ms"
[kafka.consumerGroups.list]
topics = ${JSON.stringify(topics)}
groupID = "${uniqueName("g")}"
${FAST_GROUP}
[kafka.consumerGroups.regex]
topicRegex = "^${prefix}-.*"
groupID = "${uniqueName("g")}"
${FAST_GROUP}
`);
    await kafka.producer("p1").writeMessages({ topic: topics[0], value: "a" }, { topic: topics[1], value: "b" });
    for (const name of ["list", "regex"]) {
      const seen = new Set<string>();
      const group = kafka.consumerGroup(name);
      const deadline = Date.now() + 30_000;
      while (seen.size < 2 && Date.now() < deadline) {
        const event = await group.poll({ timeoutMs: 30_000 });
        if (event instanceof Message) seen.add(`${event.topic}=${event.valueString()}`);
      }
      expect([...seen].sort(), name).toEqual([`${topics[0]}=a`, `${topics[1]}=b`]);
    }
  });

  it("poll rejects when its wait is aborted or times out, and returns errors as values otherwise", async () => {
    const topic = uniqueName("e2e-abort");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.consumerGroups.cg]
topic = "${topic}"
groupID = "${uniqueName("g")}"
${FAST_GROUP}
`);
    const group = kafka.consumerGroup("cg");
    const first = await group.poll({ timeoutMs: 30_000 });
    expect(first).toBeInstanceOf(AssignedPartitions);
    await expect(group.poll({ timeoutMs: 300 })).rejects.toThrow(/timed out/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stopped by the test")), 100);
    await expect(group.poll({ signal: controller.signal })).rejects.toThrow("stopped by the test");
    await group.close();
    await expect(group.poll()).rejects.toBeInstanceOf(ClosedError);
  });

  it("startOffset -1 starts a new group at the end; -2 at the beginning", async () => {
    const topic = uniqueName("e2e-start");
    await createTopic(topic, 1, 3);
    const kafka = component(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.consumerGroups.newest]
topic = "${topic}"
groupID = "${uniqueName("g")}"
startOffset = -1
${FAST_GROUP}
[kafka.consumerGroups.oldest]
topic = "${topic}"
groupID = "${uniqueName("g")}"
startOffset = "-2"
${FAST_GROUP}
`);
    await kafka.producer("p1").writeMessages({ value: "before" });
    const newest = kafka.consumerGroup("newest");
    expect(await newest.poll({ timeoutMs: 30_000 })).toBeInstanceOf(AssignedPartitions);
    // The assignment is in place once the first fetch ran; give the offset reset a moment.
    await expect(newest.poll({ timeoutMs: 1500 })).rejects.toThrow(/timed out/);
    await kafka.producer("p1").writeMessages({ value: "after" });
    const fromNewest = await nextMessage(newest);
    expect(fromNewest.valueString()).toBe("after");

    const fromOldest = await nextMessage(kafka.consumerGroup("oldest"));
    expect(fromOldest.valueString()).toBe("before");
  });
});

async function nextMessage(group: ConsumerGroup): Promise<Message> {
  for (;;) {
    const event = await group.poll({ timeoutMs: 30_000 });
    if (event instanceof Message) return event;
    if (event instanceof KafkaError) throw event;
  }
}
