// The group keys on the real cluster (Kafka 4.1): a member with groupProtocol = "consumer" (KIP-848) joins,
// and the broker reports a consumer-protocol group with the remote assignor asked for; a classic member
// with the cooperative-sticky assignor joins a classic group using it. Each member gets a static
// groupInstanceID from the environment ("${ENV}"), which the broker reports back. Reading with these
// incremental protocols needs incremental assignment in the consume engine (#24), not checked here.
import kafkaNative from "@confluentinc/kafka-javascript";
import type { GroupDescription } from "@confluentinc/kafka-javascript";
import { afterEach, describe, expect, it } from "vitest";
import { PollTimeoutError, type Component } from "ekafka";
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
});
