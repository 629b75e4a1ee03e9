// TLS against the local cluster's TLS listeners (kafka/cluster.sh): SASL SCRAM-SHA-512 over TLS with
// tls.caFile on SASL_SSL (949N), mutual TLS with tls.certFile/keyFile — plain and with an encrypted key
// and tls.keyPassword — on SSL (939N, client certificate required); each carries a message both ways.
// A wrong CA fails fast and says what to check; a client without a certificate is refused by the
// mutual-TLS listener; insecureSkipVerify connects without the CA.
import { describe, expect, it } from "vitest";
import { Message, withBrokers, type Component } from "ekafka";
import { componentsClosedAfterEach, FAST_GROUP, ledTopic } from "./support/component.js";
import { localCluster, localListeners, sasl, tlsFiles, uniqueName } from "./support/env.js";

/** The rejection of `promise` and how long it took to come. */
async function rejection(promise: () => Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await promise();
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error("expected a rejection, the call resolved");
}

/** `[kafka]` keys for SCRAM-SHA-512 on the SASL_SSL listener. */
function scramKeys(): string {
  return `saslMechanism = "SCRAM-SHA-512"\nsaslUserName = "${sasl!.scram512User}"\nsaslPassword = "${sasl!.scram512Password}"\n`;
}

/** A producer p1 and a group g1 on `topic`, and a short client timeout. */
function roundTripTables(topic: string): string {
  return `
[kafka.client]
timeout = "10s"
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.consumerGroups.g1]
topic = "${topic}"
groupID = "${topic}"
startOffset = -2
${FAST_GROUP}
`;
}

/** Creates `topic` through the component's admin client, writes one message and reads it back with the group. */
async function roundTrip(kafka: Component, topic: string, value: string): Promise<Message> {
  await kafka.client().createTopics([{ topic, numPartitions: 1, replicationFactor: 3 }]);
  await ledTopic(kafka, topic, 1, 10_000);
  await kafka.producer("p1").writeMessages({ key: "k", value });
  const group = kafka.consumerGroup("g1");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const event = await group.poll({ timeoutMs: Math.max(1, deadline - Date.now()) });
    if (event instanceof Error) throw event;
    if (event instanceof Message) return event;
  }
}

describe.runIf(localCluster && sasl)("TLS", () => {
  const { build } = componentsClosedAfterEach();

  it("SASL SCRAM-SHA-512 over TLS with tls.caFile: a producer writes and a consumer group reads it back", async () => {
    const topic = uniqueName("e2e-tls-scram");
    const kafka = build(
      `${scramKeys()}[kafka.tls]\nenable = true\ncaFile = "${tlsFiles.ca}"\n${roundTripTables(topic)}`,
      withBrokers(...localListeners.saslSsl),
    );
    const read = await roundTrip(kafka, topic, "over SASL_SSL");
    expect(read.valueString()).toBe("over SASL_SSL");
    expect(kafka.config.tls.enable).toBe(true);
  });

  it.each([
    { name: "tls.certFile and tls.keyFile", key: tlsFiles.clientKey, password: "" },
    { name: "an encrypted key and tls.keyPassword", key: tlsFiles.clientEncryptedKey, password: tlsFiles.clientKeyPassword },
  ])("mutual TLS with $name: a producer writes and a consumer group reads it back", async ({ key, password }) => {
    const topic = uniqueName("e2e-mtls");
    const keyPassword = password === "" ? "" : `keyPassword = "${password}"\n`;
    const kafka = build(
      `[kafka.tls]\nenable = true\ncaFile = "${tlsFiles.ca}"\ncertFile = "${tlsFiles.clientCert}"\nkeyFile = "${key}"\n${keyPassword}${roundTripTables(topic)}`,
      withBrokers(...localListeners.ssl),
    );
    const read = await roundTrip(kafka, topic, `mutual TLS ${key}`);
    expect(read.valueString()).toBe(`mutual TLS ${key}`);
  });

  it("the mutual-TLS listener refuses a client without a certificate within 3 s, naming tls.certFile", async () => {
    // client.timeout is 6 s; the refusal comes well before. (The native call goes on until its timeout
    // and holds up close(): a short timeout keeps the test short.)
    const kafka = build(
      `[kafka.tls]\nenable = true\ncaFile = "${tlsFiles.ca}"\n[kafka.client]\ntimeout = "6s"`,
      withBrokers(...localListeners.ssl),
    );
    const { error, ms } = await rejection(() => kafka.client().ping());
    console.log(`mutual TLS without a client certificate: rejected after ${ms} ms: ${error.message}`);
    expect(ms).toBeLessThan(3_000);
    expect(error.message).toMatch(/refused the client certificate/);
    expect(error.message).toContain("tls.certFile");
  });

  it("a wrong CA fails within 3 s, says the broker's certificate could not be verified and names tls.caFile", async () => {
    const topic = uniqueName("e2e-tls-wrong-ca");
    const kafka = build(
      `${scramKeys()}[kafka.tls]\nenable = true\ncaFile = "${tlsFiles.otherCa}"\n[kafka.client]\ntimeout = "6s"\n[kafka.producers.p1]\ntopic = "${topic}"\nbatchTimeout = "5ms"\nwriteTimeout = "6s"`,
      withBrokers(...localListeners.saslSsl),
    );
    const [ping, write] = await Promise.all([
      rejection(() => kafka.client().ping()),
      rejection(() => kafka.producer("p1").writeMessages({ value: "never delivered" })),
    ]);
    console.log(
      `wrong CA: ping rejected after ${ping.ms} ms: ${ping.error.message}\nwrite rejected after ${write.ms} ms: ${write.error.message}`,
    );
    for (const { error, ms } of [ping, write]) {
      // fails well before the 6 s the timeouts would allow: a certificate does not get valid by waiting
      expect(ms).toBeLessThan(3_000);
      expect(error.message).toMatch(/certificate could not be verified/i);
      expect(error.message).toContain("tls.caFile");
    }
  });

  it("insecureSkipVerify connects without the CA", async () => {
    const topic = uniqueName("e2e-tls-insecure");
    const kafka = build(
      `${scramKeys()}[kafka.tls]\nenable = true\ninsecureSkipVerify = true\n${roundTripTables(topic)}`,
      withBrokers(...localListeners.saslSsl),
    );
    const read = await roundTrip(kafka, topic, "unverified");
    expect(read.valueString()).toBe("unverified");
    expect(kafka.config.tls.caFile).toBeUndefined();
  });
});
