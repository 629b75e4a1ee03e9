// The group keys on the real cluster (Kafka 4.1): a member with groupProtocol = "consumer" (KIP-848) joins,
// and the broker reports a consumer-protocol group with the remote assignor asked for; a classic member
// with the cooperative-sticky assignor joins a classic group using it. Each member gets a static
// groupInstanceID from the environment ("${ENV}"), which the broker reports back. A Consumer Server reads
// with each of these incremental protocols (the session assigns and unassigns incrementally), two
// members sharing the partitions.
import kafkaNative from "@confluentinc/kafka-javascript";
import type { GroupDescription } from "@confluentinc/kafka-javascript";
import { afterEach, describe, expect, it } from "vitest";
import { load, PollTimeoutError, type Component } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { e2eConfig } from "./support/component.js";
import { until } from "./support/wait.js";
import { componentsClosedAfterEach } from "./support/component.js";
import { bootstrap, uniqueName } from "./support/env.js";

const { build } = componentsClosedAfterEach();

afterEach(() => {
  delete process.env["EKAFKA_E2E_INSTANCE"];
});

/** The broker's description of `groupID`, through librdkafka's admin API. */
async function describeGroup(groupID: string): Promise<GroupDescription> {
  const admin = kafkaNative.AdminClient.create({ "bootstrap.servers": bootstrap });
  try {
    return await new Promise<GroupDescription>((resolve, reject) => {
      admin.describeGroups([groupID], { timeout: 10_000 }, (err, result) => (err ? reject(err) : resolve(result.groups[0]!)));
    });
  } finally {
    admin.disconnect();
  }
}

/**
 * Polls the group member cg1 until the broker describes `groupID` with it as a member (the member has
 * joined); returns that description and the errors the polls reported.
 */
async function joined(kafka: Component, topic: string, groupID: string): Promise<{ description: GroupDescription; errors: string[] }> {
  await kafka.client().createTopics([{ topic, numPartitions: 3, replicationFactor: 3 }]);
  const group = kafka.consumerGroup("cg1");
  const errors: string[] = [];
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const event = await group.poll({ timeoutMs: 500 }).catch((error: unknown) => error);
    if (event instanceof Error && !(event instanceof PollTimeoutError)) errors.push(event.message);
    const description = await describeGroup(groupID);
    if (description.members.length > 0) return { description, errors };
  }
  throw new Error(`${groupID} has no member after 60 s; poll errors: ${errors.join("; ")}`);
}

function groupToml(topic: string, groupID: string, keys: string): string {
  return `
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
groupInstanceID = "\${EKAFKA_E2E_INSTANCE}"
maxWait = "100ms"
${keys}`;
}

describe("group keys", () => {
  it('groupProtocol = "consumer": the member joins, and the broker reports a consumer-protocol group with its instance id', async () => {
    const topic = uniqueName("e2e-kip848");
    const groupID = `${topic}-g`;
    process.env["EKAFKA_E2E_INSTANCE"] = `${topic}-member-1`;
    const kafka = build(groupToml(topic, groupID, 'groupProtocol = "consumer"\ngroupRemoteAssignor = "uniform"'));
    expect(kafka.consumerPropertiesOf("consumerGroups", "cg1")).not.toHaveProperty(["session.timeout.ms"]);

    // The member joins; its assignments may fail until the engine assigns incrementally (the consumer
    // protocol's assignments are incremental), so the errors are shown, not checked.
    const { description, errors } = await joined(kafka, topic, groupID);
    console.log(
      `group-protocol: consumer group type ${description.type}, assignor ${description.partitionAssignor}, ` +
        `members ${description.members.map((m) => m.groupInstanceId).join(", ")}; poll errors: ${errors.join("; ") || "none"}`,
    );
    expect(description.type).toBe(kafkaNative.ConsumerGroupTypes.CONSUMER);
    expect(description.partitionAssignor).toBe("uniform");
    expect(description.members.map((member) => member.groupInstanceId)).toEqual([`${topic}-member-1`]);
  }, 90_000);

  it('groupProtocol = "classic" with assignmentStrategy = "cooperative-sticky": a classic group using that assignor', async () => {
    const topic = uniqueName("e2e-coop");
    const groupID = `${topic}-g`;
    process.env["EKAFKA_E2E_INSTANCE"] = `${topic}-member-1`;
    const kafka = build(
      groupToml(topic, groupID, 'assignmentStrategy = "cooperative-sticky"\nheartbeatInterval = "500ms"\nsessionTimeout = "6s"'),
    );

    // As above: the eager assign() of a cooperative assignment is refused until the engine assigns incrementally.
    const { description, errors } = await joined(kafka, topic, groupID);
    console.log(`group-protocol: classic cooperative-sticky group; poll errors: ${errors.join("; ") || "none"}`);
    expect(description.type).toBe(kafkaNative.ConsumerGroupTypes.CLASSIC);
    expect(description.partitionAssignor).toBe("cooperative-sticky");
    expect(description.members.map((member) => member.groupInstanceId)).toEqual([`${topic}-member-1`]);
  }, 90_000);

  it.each([
    ['groupProtocol = "consumer"', 'groupProtocol = "consumer"'],
    [
      'assignmentStrategy = "cooperative-sticky"',
      'assignmentStrategy = "cooperative-sticky"\nheartbeatInterval = "500ms"\nsessionTimeout = "6s"',
    ],
  ])(
    "two Consumer Servers read with %s: every message handled, the partitions shared between them",
    async (_name, keys) => {
      const topic = uniqueName("e2e-incremental");
      const groupID = `${topic}-g`;
      const cfg = e2eConfig(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
maxWait = "100ms"
${keys}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
`);
      const first = build("");
      await first.client().createTopics([{ topic, numPartitions: 6, replicationFactor: 3 }]);
      const handled = new Map<string, Set<number>>(); // member -> partitions it handled
      const values = new Set<string>();
      const member = (name: string) => {
        const kafka = load("kafka", cfg).build();
        const server = consumerserver.load("kafkaConsumerServers.s1", cfg).build(consumerserver.withEkafka(kafka));
        server.onEachMessage((_ctx, message) => {
          values.add(message.valueString());
          if (!handled.has(name)) handled.set(name, new Set());
          handled.get(name)!.add(message.partition);
        });
        return { kafka, server, done: server.start() };
      };
      const a = member("a");
      const b = member("b");
      const both = () => (handled.get("a")?.size ?? 0) > 0 && (handled.get("b")?.size ?? 0) > 0;
      let written = 0;
      try {
        const writer = load("kafka", cfg).build();
        try {
          // Rounds of 60 messages until both members have handled some (a rebalance takes a few seconds), at most 60 s.
          const deadline = Date.now() + 60_000;
          for (let round = 0; !both() && Date.now() < deadline; round++) {
            await writer.producer("p1").writeMessages(...Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `${round}-${i}` })));
            written += 60;
            await until(
              () => values.size >= written,
              30_000,
              () => `${values.size} of ${written} handled`,
            );
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        } finally {
          await writer.close();
        }
      } finally {
        await Promise.all([a.server.gracefulStop(), b.server.gracefulStop()]);
        await Promise.all([a.done, b.done]);
        await Promise.all([a.kafka.close(), b.kafka.close()]);
      }
      console.log(
        `incremental rebalancing (${keys.split("\n")[0]}): ${values.size} handled; partitions a ${[...(handled.get("a") ?? [])].join(",")}, b ${[...(handled.get("b") ?? [])].join(",")}`,
      );
      expect(values.size).toBe(written); // every message written was handled
      expect(handled.get("a")?.size ?? 0).toBeGreaterThan(0); // both members got partitions
      expect(handled.get("b")?.size ?? 0).toBeGreaterThan(0);
    },
    120_000,
  );
});
