// Values in the schema registry's wire format on the 3-broker cluster and the registry of
// kafka/cluster.sh: Avro and JSON Schema written by a producer and read by a Consumer Server, checked
// byte by byte and against an independent implementation (@kafkajs/confluent-schema-registry), a
// poison message sent to the dead-letter topic, schema evolution, and the errors of bad input.
import { SchemaRegistry as KafkajsRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SchemaDecodeError, SchemaEncodeError, SchemaRegistryError, type Message } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { componentsClosedAfterEach, e2eConfig, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { consumeCount, createTopic } from "./support/raw.js";
import { latestSchemaId, registryToml, registryUrl, schemaFile } from "./support/schema-registry.js";
import { load } from "ekafka";

const components = componentsClosedAfterEach();

interface Order {
  id: string;
  amount: number;
  paid: boolean;
  currency?: string;
}

const orders = (count: number, from = 0): Order[] =>
  Array.from({ length: count }, (_, i) => ({ id: `order-${from + i}`, amount: (from + i) * 7, paid: i % 2 === 0 }));

/** Avro decodes a record into an object of its own class: compare fields only. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A topic with a producer p1 (valueFormat, schema file) and a Consumer Server s1 reading it with valueFormat. */
function scenario(format: "avro" | "json-schema", schema: string, options: { server?: string; extra?: (topic: string) => string } = {}) {
  const topic = uniqueName("e2e-sr");
  const groupID = uniqueName("g-sr");
  const toml = `
${registryToml}
[kafka.producers.p1]
topic = "${topic}"
valueFormat = "${format}"
valueSchemaFile = "${schemaFile(schema)}"
[kafka.producers.raw]
topic = "${topic}"
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
valueFormat = "${format}"
${FAST_GROUP}
${options.extra?.(topic) ?? ""}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
${options.server ?? ""}
`;
  const cfg = e2eConfig(toml);
  const kafka = components.track(load("kafka", cfg).build());
  const server = consumerserver
    .load("kafkaConsumerServers.s1", cfg)
    .build(consumerserver.withEkafka(kafka), consumerserver.withRetry({ attempts: 1, backoffMs: 10 }));
  return { topic, groupID, kafka, server };
}

/** Writes `values` in batches of 100 (one writeMessages call each). */
async function writeAll(write: (...m: Array<{ key: string; value: object }>) => Promise<void>, values: object[]): Promise<void> {
  for (let i = 0; i < values.length; i += 100) {
    await write(...values.slice(i, i + 100).map((value, j) => ({ key: `k${i + j}`, value })));
  }
}

describe.each([
  { format: "avro" as const, schema: "order.avsc" },
  { format: "json-schema" as const, schema: "order.schema.json" },
])("$format", ({ format, schema }) => {
  it("1,000 messages written by a producer are read by a Consumer Server with message.data equal to what was written", async () => {
    const s = scenario(format, schema);
    await createTopic(s.topic, 3, 3);
    const written = orders(1000);
    const handled: Message[] = [];
    s.server.onEachMessage((_ctx, message) => {
      handled.push(message);
    });
    const running = s.server.start();
    const producer = s.kafka.producer("p1");
    await writeAll((...m) => producer.writeMessages(...m), written);
    await until(() => handled.length === 1000, 60_000, "1,000 handled messages");
    await s.server.gracefulStop();
    await running;

    const byId = new Map(handled.map((m) => [(m.data as Order).id, m]));
    expect(byId.size).toBe(1000);
    expect(written.map((o) => plain(byId.get(o.id)!.data))).toEqual(written);
    // The bytes on the topic: magic byte 0, then the id the registry gives <topic>-value.
    const id = await latestSchemaId(`${s.topic}-value`);
    const raw = await consumeCount(s.topic, 1000);
    expect(raw).toHaveLength(1000);
    for (const m of raw) {
      expect(m.value![0]).toBe(0);
      expect(m.value!.readInt32BE(1)).toBe(id);
    }
    expect(byId.get("order-0")!.value!.readInt32BE(1)).toBe(id);
  });

  it("interoperates with @kafkajs/confluent-schema-registry in both directions", async () => {
    const s = scenario(format, schema);
    await createTopic(s.topic, 1, 3);
    const other = new KafkajsRegistry({ host: registryUrl });
    // The other implementation registers the schema and writes first: it checks the subject's
    // compatibility setting only when the subject exists, and reads it where Apicurio reports the
    // subject's own rule (none) rather than the global one.
    const { id } = await other.register(
      { type: format === "avro" ? SchemaType.AVRO : SchemaType.JSON, schema: readFileSync(schemaFile(schema), "utf8") },
      { subject: `${s.topic}-value` },
    );
    const theirs = orders(3, 100);
    const encoded = await Promise.all(theirs.map((o) => other.encode(id, o)));
    await s.kafka.producer("raw").writeMessages(...encoded.map((value) => ({ value })));
    // ekafka writes with the same schema (so the same id); the other implementation decodes it.
    await s.kafka.producer("p1").writeMessages(...orders(3).map((value) => ({ value })));
    const raw = await consumeCount(s.topic, 6);
    expect(raw.slice(3).map((m) => m.value!.readInt32BE(1))).toEqual([id, id, id]);
    const decoded = await Promise.all(raw.slice(3).map((m) => other.decode(m.value!)));
    expect(decoded.map(plain)).toEqual(orders(3));
    // ekafka decodes what the other implementation wrote (and its own).
    const handled: unknown[] = [];
    s.server.onEachMessage((_ctx, message) => {
      handled.push(plain(message.data));
    });
    const running = s.server.start();
    await until(() => handled.length === 6, 30_000, "6 handled messages");
    await s.server.gracefulStop();
    await running;
    expect(handled).toEqual([...theirs, ...orders(3)]);
  });

  it("refuses a value that does not match the schema, naming producer, field and schema, and sends nothing", async () => {
    const s = scenario(format, schema);
    await createTopic(s.topic, 3, 3);
    const producer = s.kafka.producer("p1");
    const bad = { id: "x", amount: "not a number", paid: true };
    const error = await producer.writeMessages({ value: orders(1)[0]! }, { value: bad }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SchemaEncodeError);
    expect((error as Error).message).toContain("kafka.producers.p1: writeMessages: message 1: value does not match");
    expect((error as Error).message).toContain(schemaFile(schema));
    expect((error as Error).message).toContain("amount");
    const ends = await s.kafka.client().listOffsets(s.topic, "latest");
    expect(ends.map((p) => p.offset)).toEqual([0, 0, 0]);
  });
});

describe("avro", () => {
  it("sends a poison message among 1,000 to the dead-letter topic and handles the other 999", async () => {
    const deadTopic = uniqueName("e2e-sr-dead");
    const s = scenario("avro", "order.avsc", {
      server: `deadLetterProducer = "dlq"`,
      extra: () => `
[kafka.producers.dlq]
topic = "${deadTopic}"
`,
    });
    await createTopic(s.topic, 3, 3);
    await createTopic(deadTopic, 1, 3);
    const handled: string[] = [];
    const failures: string[] = [];
    s.server.onEachMessage(
      (_ctx, message) => {
        handled.push((message.data as Order).id);
      },
      (error) => failures.push(error.message),
    );
    const running = s.server.start();
    const written = orders(999);
    await writeAll((...m) => s.kafka.producer("p1").writeMessages(...m), written.slice(0, 500));
    await s.kafka.producer("raw").writeMessages({ key: "poison", value: "garbage, not Avro" });
    await writeAll((...m) => s.kafka.producer("p1").writeMessages(...m), written.slice(500));
    await until(() => handled.length === 999, 60_000, "999 handled messages");
    const parked = await consumeCount(deadTopic, 1);
    await s.server.gracefulStop();
    await running;

    expect(new Set(handled)).toEqual(new Set(written.map((o) => o.id)));
    expect(parked[0]!.value!.toString()).toBe("garbage, not Avro");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      new RegExp(
        `cannot decode the value at topic ${s.topic} partition \\d offset \\d+ \\(schema id -1\\): not in the schema registry's wire format`,
      ),
    );
  });

  it("reads a compatible second version beside the first, and refuses an incompatible one with the registry's message", async () => {
    const producerOf = (name: string, file: string) => (topic: string) => `
[kafka.producers.${name}]
topic = "${topic}"
valueFormat = "avro"
valueSchemaFile = "${schemaFile(file)}"
`;
    const s = scenario("avro", "order.avsc", {
      extra: (topic) => producerOf("v2", "order-v2.avsc")(topic) + producerOf("incompatible", "order-incompatible.avsc")(topic),
    });
    await createTopic(s.topic, 1, 3);
    await s.kafka.producer("p1").writeMessages(...orders(2).map((value) => ({ value })));
    const v2 = orders(2, 10).map((o) => ({ ...o, currency: "USD" }));
    await s.kafka.producer("v2").writeMessages(...v2.map((value) => ({ value })));

    const refused = await s.kafka
      .producer("incompatible")
      .writeMessages({ value: { id: 1, amount: 1, paid: true, customer: "c" } })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(SchemaRegistryError);
    expect((refused as SchemaRegistryError).status).toBe(409);
    expect((refused as Error).message).toContain(
      `registering the value schema ${schemaFile("order-incompatible.avsc")} under subject ${s.topic}-value`,
    );
    expect((refused as Error).message).toContain(`the schema registry at ${registryUrl} (kafka.schemaRegistry.url) answered 409`);
    expect((refused as Error).message).toMatch(/incompatible/i);

    const handled: Array<{ data: unknown; schemaId: number }> = [];
    s.server.onEachMessage((_ctx, message) => {
      handled.push({ data: plain(message.data), schemaId: message.value!.readInt32BE(1) });
    });
    const running = s.server.start();
    await until(() => handled.length === 4, 30_000, "4 handled messages");
    await s.server.gracefulStop();
    await running;
    // Each message is read with the schema it was written with: the first two have no currency.
    expect(handled.map((h) => h.data)).toEqual([...orders(2), ...v2]);
    expect(handled[0]!.schemaId).not.toBe(handled[2]!.schemaId);
    expect(handled[2]!.schemaId).toBe(await latestSchemaId(`${s.topic}-value`));
  });

  it("makes a message that cannot be decoded an error naming topic, partition, offset and schema id", async () => {
    const topic = uniqueName("e2e-sr-bad");
    await createTopic(topic, 1, 3);
    const kafka = components.track(
      load(
        "kafka",
        e2eConfig(`
${registryToml}
[kafka.producers.raw]
topic = "${topic}"
[kafka.consumers.c1]
topic = "${topic}"
valueFormat = "avro"
`),
      ).build(),
    );
    // An id the registry has never given, then a payload that does not fit the schema it names.
    const id = await new KafkajsRegistry({ host: registryUrl }).register(
      { type: SchemaType.AVRO, schema: readFileSync(schemaFile("order.avsc"), "utf8") },
      { subject: `${topic}-value` },
    );
    const header = (schemaId: number) => Buffer.from([0, ...Buffer.from(new Uint32Array([schemaId]).buffer).reverse()]);
    await kafka
      .producer("raw")
      .writeMessages(
        { value: Buffer.concat([header(987_654_321), Buffer.from([2, 3])]) },
        { value: Buffer.concat([header(id.id), Buffer.from([0xff])]) },
      );
    const reader = kafka.consumer("c1");
    const unknown = await reader.readMessage({ timeoutMs: 30_000 });
    expect(() => unknown.data).toThrow(SchemaDecodeError);
    expect(() => unknown.data).toThrow(`cannot decode the value at topic ${topic} partition 0 offset 0 (schema id 987654321)`);
    expect(unknown.value).toEqual(Buffer.concat([header(987_654_321), Buffer.from([2, 3])]));
    const corrupt = await reader.readMessage({ timeoutMs: 30_000 });
    expect(corrupt.decodeError).toBeInstanceOf(SchemaDecodeError);
    expect(corrupt.decodeError!.message).toContain(`at topic ${topic} partition 0 offset 1 (schema id ${id.id})`);
  });
});
