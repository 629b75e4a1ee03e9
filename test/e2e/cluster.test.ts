// The foundation: a real 3-broker cluster that the raw client can use, in plain text and over SASL.
import kafka from "@confluentinc/kafka-javascript";
import { describe, expect, it } from "vitest";
import { sasl, uniqueName } from "./support/env.js";
import { consumeCount, createTopic, disconnect, fillTopic, rawProducer } from "./support/raw.js";

function callback<T>(fn: (cb: (err: unknown, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

describe("the local cluster", () => {
  it("has three brokers and creates a topic with 3 partitions on all 3 of them", async () => {
    const topic = uniqueName("cluster-meta");
    await createTopic(topic, 3, 3);
    const producer = await rawProducer();
    try {
      const metadata = await callback<kafka.Metadata>((cb) => producer.getMetadata({ topic, timeout: 10000 }, cb));
      expect(metadata.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
      const described = metadata.topics.find((t) => t.name === topic);
      expect(described?.partitions).toHaveLength(3);
      for (const p of described!.partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    } finally {
      await disconnect(producer);
    }
  });

  it("gives back exactly the 1,000 messages produced", async () => {
    const topic = uniqueName("cluster-1000");
    await createTopic(topic, 3, 3);
    const values = Array.from({ length: 1000 }, (_, i) => `message-${i}`);
    await fillTopic(topic, values);
    const consumed = await consumeCount(topic, 1000);
    expect(consumed.map((m) => m.value!.toString()).sort()).toEqual([...values].sort());
    expect(new Set(consumed.map((m) => m.partition))).toEqual(new Set([0, 1, 2]));
  });
});

describe.runIf(sasl)("the SASL listener", () => {
  const saslConf = (mechanism: string, user: string, password: string) => ({
    "bootstrap.servers": sasl!.brokers.join(","),
    "security.protocol": "sasl_plaintext" as const,
    "sasl.mechanisms": mechanism,
    "sasl.username": user,
    "sasl.password": password,
  });

  it("carries 1,000 messages with SCRAM-SHA-512", async () => {
    const topic = uniqueName("cluster-scram512");
    await createTopic(topic, 3, 3);
    const conf = saslConf("SCRAM-SHA-512", sasl!.scram512User, sasl!.scram512Password);
    const values = Array.from({ length: 1000 }, (_, i) => `scram-${i}`);
    await fillTopic(topic, values, conf);
    const consumed = await consumeCount(topic, 1000, conf);
    expect(consumed.map((m) => m.value!.toString()).sort()).toEqual([...values].sort());
  });

  it("fails fast with an authentication error for a wrong password", async () => {
    const conf = saslConf("SCRAM-SHA-512", sasl!.scram512User, "not-the-password");
    const started = Date.now();
    // librdkafka reports the broker's reason in a FAIL log line; the connect callback only says the
    // transport failed.
    const producer = new kafka.Producer({ ...conf, "socket.timeout.ms": 5000 });
    const failure = await new Promise<string | undefined>((resolve) => {
      const giveUp = setTimeout(() => resolve(undefined), 8000);
      producer.on("event.log", (log: { fac: string; message: string }) => {
        if (log.fac === "FAIL" && /SASL authentication error/.test(log.message)) {
          clearTimeout(giveUp);
          resolve(log.message);
        }
      });
      producer.connect({ timeout: 8000 }, () => undefined);
    });
    expect(failure).toMatch(/Authentication failed .* invalid credentials with SASL mechanism SCRAM-SHA-512/);
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
