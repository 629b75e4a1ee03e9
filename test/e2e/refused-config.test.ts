// A client configuration librdkafka refuses (it checks the configuration as a whole only when the client
// is created, on connect): one ConfigError, never a tight loop of identical error events, and a Consumer
// Server on it stops instead of polling again. (The backoff
// between connects that fail for other reasons is in test/unit/session.test.ts.)
import { describe, expect, it } from "vitest";
import { ConfigError } from "ekafka/core";
import { KafkaError, type Consumer, type ConsumerGroupEvent } from "ekafka";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { serverScenario } from "./support/scenario.js";

const { build: component, track } = componentsClosedAfterEach();

/** What a poll loop over `windowMs` saw: the error events, and the rejection that ended it, if any. */
async function pollFor(poll: (timeoutMs: number) => Promise<ConsumerGroupEvent>, windowMs: number) {
  const deadline = Date.now() + windowMs;
  const errors: KafkaError[] = [];
  while (Date.now() < deadline) {
    try {
      const event = await poll(Math.max(1, deadline - Date.now()));
      if (event instanceof KafkaError) errors.push(event);
    } catch (rejection) {
      if ((rejection as Error).name === "TimeoutError") break;
      return { errors, rejection: rejection as Error };
    }
  }
  return { errors, rejection: undefined };
}

describe("a configuration librdkafka refuses", () => {
  // group.protocol = "consumer" leaves heartbeats and the session timeout to the broker, so librdkafka
  // refuses the session.timeout.ms every group member gets (from sessionTimeout) when it creates the client.
  const refusedGroup = (groupID: string) => `
[kafka.consumerGroups.cg]
topic = "${uniqueName("refused")}"
groupID = "${groupID}"
${FAST_GROUP}
[kafka.consumerGroups.cg.properties]
"group.protocol" = "consumer"
`;

  it("fails the first poll once with a ConfigError naming the properties entry and librdkafka's reason", async () => {
    const kafka = component(refusedGroup(uniqueName("g")));
    const group = kafka.consumerGroup("cg");
    // A poll loop that goes on after error events; before the refusal was recognised it saw about 18,000
    // identical ones in these 5 s ("... (brokers did not answer within 5000 ms)").
    const { errors, rejection } = await pollFor((timeoutMs) => group.poll({ timeoutMs }), 5_000);
    expect(errors).toEqual([]);
    expect(rejection).toBeInstanceOf(ConfigError);
    const error = rejection as ConfigError;
    expect(error.key).toBe("kafka.consumerGroups.cg.properties.group.protocol");
    expect(error.message).toBe(
      "kafka.consumerGroups.cg.properties.group.protocol: librdkafka refused the configuration of kafka.consumerGroups.cg: " +
        "`session.timeout.ms` is not supported for `group.protocol=consumer` or share consumer. It is defined broker side " +
        "(session.timeout.ms is set by kafka.consumerGroups.cg.sessionTimeout; group.protocol by kafka.consumerGroups.cg.properties.group.protocol)",
    );
    // Final: a later call rejects with the same error at once, without trying again.
    const started = Date.now();
    await expect(group.pollBatch({ timeoutMs: 5_000 })).rejects.toBe(error);
    expect(Date.now() - started).toBeLessThan(1_000);
    await group.close();
  });

  it("fails a consumer's read the same way", async () => {
    const kafka = component(refusedGroup(uniqueName("g")).replaceAll("consumerGroups", "consumers"));
    const consumer: Consumer = kafka.consumer("cg");
    const error = await consumer.fetchMessage({ timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("kafka.consumers.cg.properties.group.protocol");
    expect((error as ConfigError).message).toContain("`session.timeout.ms` is not supported for `group.protocol=consumer`");
  });
});

describe("a Consumer Server on a configuration librdkafka refuses", () => {
  it("stops: start() rejects with the ConfigError, reported once", async () => {
    // The topic is never created: the refusal comes before anything reaches the cluster.
    const { server } = serverScenario({
      name: "refused",
      extra: `[kafka.consumerGroups.cg1.properties]\n"group.protocol" = "consumer"`,
      track,
    }).build();
    const reported: unknown[] = [];
    server.onEachMessage(
      () => undefined,
      (error) => void reported.push(error),
    );
    const error = await server.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("kafka.consumerGroups.cg1.properties.group.protocol");
    expect(reported).toEqual([error]);
  });
});

describe("a producer configuration librdkafka refuses", () => {
  it("fails the first write with a ConfigError naming the properties entry, and every later one with the same", async () => {
    const kafka = component(`
[kafka.producers.p1]
topic = "${uniqueName("refused")}"
[kafka.producers.p1.properties]
"enable.idempotence" = "true"
"max.in.flight.requests.per.connection" = "10"
`);
    const producer = kafka.producer("p1");
    const error = await producer.writeMessages({ value: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("kafka.producers.p1.properties.enable.idempotence");
    expect((error as ConfigError).message).toBe(
      "kafka.producers.p1.properties.enable.idempotence: librdkafka refused the configuration of kafka.producers.p1: " +
        "`max.in.flight` must be set <= 5 when `enable.idempotence` is true " +
        "(enable.idempotence is set by kafka.producers.p1.properties.enable.idempotence)",
    );
    await expect(producer.writeMessages({ value: "y" })).rejects.toBe(error);
  });
});
