// Values in the schema registry's wire format on the 3-broker cluster and the registry of
// kafka/cluster.sh: Avro, Protobuf and JSON Schema written by a producer and read by a Consumer Server,
// checked byte by byte and against an independent implementation (@kafkajs/confluent-schema-registry),
// a poison message sent to the dead-letter topic, schema evolution, and the errors of bad input.
import { SchemaRegistry as KafkajsRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SchemaDecodeError, SchemaEncodeError, SchemaRegistryError, type Message } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { componentsClosedAfterEach } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { consumeCount, createTopic } from "./support/raw.js";
import { serverScenario } from "./support/scenario.js";
import {
  formatConsumerToml,
  formatProducerKeys,
  formatProducerToml,
  latestSchemaId,
  plain,
  registryToml,
  registryUrl,
  schemaFile,
  type Format,
} from "./support/schema-registry.js";
import { until } from "./support/wait.js";

const components = componentsClosedAfterEach();

interface Order {
  id: string;
  amount: number;
  paid: boolean;
  currency?: string;
}

const orders = (count: number, from = 0): Order[] =>
  Array.from({ length: count }, (_, i) => ({ id: `order-${from + i}`, amount: (from + i) * 7, paid: i % 2 === 0 }));

/** The fields of an Order in a value decoded by the other implementation (a Protobuf message keeps its defaults on its prototype). */
const orderFields = (value: unknown): Order => {
  const { id, amount, paid } = value as Order;
  return { id, amount: Number(amount), paid };
};

/** The schema as the other implementation registers it. */
const theirSchema = (format: Format) => {
  const schema = readFileSync(schemaFile(SCHEMAS[format].v1), "utf8");
  if (format === "avro") return { type: SchemaType.AVRO, schema } as const;
  return { type: format === "protobuf" ? SchemaType.PROTOBUF : SchemaType.JSON, schema } as const;
};

/**
 * The schema fixtures of each format: the first version, a compatible second one (a field added) and an
 * incompatible one, with what the registry's refusal of the incompatible one says under its BACKWARD rule.
 */
const SCHEMAS: Record<Format, { v1: string; v2: string; incompatible: string; refusal: string }> = {
  avro: {
    v1: "order.avsc",
    v2: "order-v2.avsc",
    incompatible: "order-incompatible.avsc",
    refusal: "reader type: LONG not compatible with writer type: STRING at /fields/0/type",
  },
  protobuf: {
    v1: "order.proto",
    v2: "order-v2.proto",
    incompatible: "order-incompatible.proto",
    refusal: "The new version of the protobuf artifact is not backward compatible.",
  },
  "json-schema": {
    v1: "order.schema.json",
    v2: "order-v2.schema.json",
    incompatible: "order-incompatible.schema.json",
    refusal: "SUBSCHEMA_TYPE_CHANGED at /properties/amount",
  },
};

/**
 * A topic with a producer p1 (valueFormat, schema file), a producer `raw` of bytes, and a Consumer
 * Server s1 reading the topic through group cg1 with valueFormat.
 */
function scenario(format: Format, options: { partitions?: number; serverKeys?: string; extra?: (topic: string) => string } = {}) {
  const s = serverScenario({
    name: "sr",
    partitions: options.partitions,
    producerKeys: formatProducerKeys(format, SCHEMAS[format].v1),
    extra: (topic) =>
      `valueFormat = "${format}"\n${registryToml}\n[kafka.producers.raw]\ntopic = "${topic}"\n${options.extra?.(topic) ?? ""}`,
    serverKeys: options.serverKeys,
    serverOptions: [consumerserver.withRetry({ attempts: 1, backoffMs: 10 })],
    track: components.track,
  });
  const { kafka, server } = s.build();
  return { topic: s.topic, create: () => s.create(), kafka, server };
}

/** Writes `values` in batches of 100 (one writeMessages call each). */
async function writeAll(write: (...m: Array<{ key: string; value: object }>) => Promise<void>, values: object[]): Promise<void> {
  for (let i = 0; i < values.length; i += 100) {
    await write(...values.slice(i, i + 100).map((value, j) => ({ key: `k${i + j}`, value })));
  }
}

/** Runs the server until `count` messages were handled (each given to `handle`), then stops it gracefully. */
async function handleUntil(server: consumerserver.ConsumerServer, count: number, handle: (message: Message) => void): Promise<void> {
  let handled = 0;
  server.onEachMessage((_ctx, message) => {
    handle(message);
    handled++;
  });
  const running = server.start();
  await until(() => handled >= count, 60_000, `${count} handled messages`);
  await server.gracefulStop();
  await running;
}

describe.each([{ format: "avro" as const }, { format: "protobuf" as const }, { format: "json-schema" as const }])(
  "$format",
  ({ format }) => {
    it("1,000 messages written by a producer are read by a Consumer Server with message.data equal to what was written", async () => {
      const s = scenario(format);
      await s.create();
      const written = orders(1000);
      const handled: Message[] = [];
      const done = handleUntil(s.server, 1000, (message) => handled.push(message));
      const producer = s.kafka.producer("p1");
      await writeAll((...m) => producer.writeMessages(...m), written);
      await done;

      const byId = new Map(handled.map((m) => [(m.data as Order).id, m]));
      expect(byId.size).toBe(1000);
      expect(written.map((o) => plain(byId.get(o.id)!.data))).toEqual(written);
      // The bytes on the topic: magic byte 0, then the id the registry gives <topic>-value; in Protobuf
      // then the message indexes, [0] (the file's first message) written as the single byte 0.
      const id = await latestSchemaId(`${s.topic}-value`);
      const raw = await consumeCount(s.topic, 1000);
      expect(raw).toHaveLength(1000);
      for (const m of raw) {
        expect(m.value![0]).toBe(0);
        expect(m.value!.readInt32BE(1)).toBe(id);
        if (format === "protobuf") expect(m.value![5]).toBe(0);
      }
      expect(byId.get("order-0")!.value!.readInt32BE(1)).toBe(id);
    });

    it("interoperates with @kafkajs/confluent-schema-registry in both directions", async () => {
      const s = scenario(format, { partitions: 1 });
      await s.create();
      const other = new KafkajsRegistry({ host: registryUrl });
      // The other implementation registers the schema and writes first: it checks the subject's
      // compatibility setting only when the subject exists, and reads it where Apicurio reports the
      // subject's own rule (none) rather than the global one.
      const { id } = await other.register(theirSchema(format), { subject: `${s.topic}-value` });
      const theirs = orders(3, 100);
      let encoded = await Promise.all(theirs.map((o) => other.encode(id, o)));
      // Its Protobuf framing leaves out the message indexes Confluent's wire format has after the schema
      // id (kafkajs/confluent-schema-registry#248): they are put in, [0] as the byte 0, as a
      // Confluent serializer writes them; the payload is its own encoding.
      if (format === "protobuf")
        encoded = encoded.map((bytes) => Buffer.concat([bytes.subarray(0, 5), Buffer.from([0]), bytes.subarray(5)]));
      await s.kafka.producer("raw").writeMessages(...encoded.map((value) => ({ value })));
      // ekafka writes with the same schema (so the same id); the other implementation decodes it.
      await s.kafka.producer("p1").writeMessages(...orders(3).map((value) => ({ value })));
      const raw = await consumeCount(s.topic, 6);
      expect(raw.slice(3).map((m) => m.value!.readInt32BE(1))).toEqual([id, id, id]);
      const decoded = await Promise.all(raw.slice(3).map((m) => other.decode(m.value!)));
      expect(decoded.map(orderFields)).toEqual(orders(3));
      // ekafka decodes what the other implementation wrote (and its own).
      const handled: unknown[] = [];
      await handleUntil(s.server, 6, (message) => handled.push(plain(message.data)));
      expect(handled).toEqual([...theirs, ...orders(3)]);
    });

    it("refuses a value that does not match the schema, naming producer, field and schema, and sends nothing", async () => {
      const s = scenario(format);
      await s.create();
      const producer = s.kafka.producer("p1");
      const bad = { id: "x", amount: "not a number", paid: true };
      const error = await producer.writeMessages({ value: orders(1)[0]! }, { value: bad }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(SchemaEncodeError);
      expect((error as Error).message).toContain("kafka.producers.p1: writeMessages: message 1: value does not match");
      expect((error as Error).message).toContain(schemaFile(SCHEMAS[format].v1));
      expect((error as Error).message).toContain("amount");
      const ends = await s.kafka.client().listOffsets(s.topic, "latest");
      expect(ends.map((p) => p.offset)).toEqual([0, 0, 0]);
    });

    it("reads a compatible second version beside the first, and refuses an incompatible one with the registry's message", async () => {
      const { v2, incompatible, refusal } = SCHEMAS[format];
      const s = scenario(format, {
        partitions: 1,
        extra: (topic) => formatProducerToml("v2", topic, format, v2) + formatProducerToml("incompatible", topic, format, incompatible),
      });
      await s.create();
      await s.kafka.producer("p1").writeMessages(...orders(2).map((value) => ({ value })));
      const v2Orders = orders(2, 10).map((o) => ({ ...o, currency: "USD" }));
      await s.kafka.producer("v2").writeMessages(...v2Orders.map((value) => ({ value })));

      const refused = await s.kafka
        .producer("incompatible")
        .writeMessages({ value: orders(1)[0]! })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(refused).toBeInstanceOf(SchemaRegistryError);
      expect((refused as SchemaRegistryError).status).toBe(409);
      expect((refused as Error).message).toContain(
        `registering the value schema ${schemaFile(incompatible)} under subject ${s.topic}-value`,
      );
      expect((refused as Error).message).toContain(`the schema registry at ${registryUrl} (kafka.schemaRegistry.url) answered 409`);
      expect((refused as Error).message).toMatch(/incompatible/i);
      expect((refused as Error).message).toContain(refusal);
      // Nothing of the refused write reached the topic: only the four messages of v1 and v2 are on it.
      expect((await s.kafka.client().listOffsets(s.topic, "latest")).map((p) => p.offset)).toEqual([4]);

      const handled: Array<{ data: unknown; schemaId: number }> = [];
      await handleUntil(s.server, 4, (message) => handled.push({ data: plain(message.data), schemaId: message.value!.readInt32BE(1) }));
      // Each message is read with the schema it was written with: the first two have no currency.
      expect(handled.map((h) => h.data)).toEqual([...orders(2), ...v2Orders]);
      expect(handled[0]!.schemaId).not.toBe(handled[2]!.schemaId);
      expect(handled[2]!.schemaId).toBe(await latestSchemaId(`${s.topic}-value`));
    });
  },
);

describe.each([{ format: "avro" as const }, { format: "protobuf" as const }])("$format", ({ format }) => {
  it("sends a poison message among 1,000 to the dead-letter topic and handles the other 999", async () => {
    const deadTopic = uniqueName("e2e-sr-dead");
    const s = scenario(format, {
      serverKeys: `deadLetterProducer = "dlq"`,
      extra: () => `
[kafka.producers.dlq]
topic = "${deadTopic}"
`,
    });
    await s.create();
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
    await s.kafka.producer("raw").writeMessages({ key: "poison", value: "garbage, not in the wire format" });
    await writeAll((...m) => s.kafka.producer("p1").writeMessages(...m), written.slice(500));
    await until(() => handled.length === 999, 60_000, "999 handled messages");
    const parked = await consumeCount(deadTopic, 1);
    await s.server.gracefulStop();
    await running;

    expect(new Set(handled)).toEqual(new Set(written.map((o) => o.id)));
    expect(parked[0]!.value!.toString()).toBe("garbage, not in the wire format");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      new RegExp(
        `cannot decode the value at topic ${s.topic} partition \\d offset \\d+ \\(schema id -1\\): not in the schema registry's wire format`,
      ),
    );
  });

  it("makes a message that cannot be decoded an error naming topic, partition, offset and schema id", async () => {
    const topic = uniqueName("e2e-sr-bad");
    await createTopic(topic, 1, 3);
    const kafka = components.build(
      `${registryToml}\n[kafka.producers.raw]\ntopic = "${topic}"\n${formatConsumerToml("c1", topic, format)}`,
    );
    // An id the registry has never given, then a payload that does not fit the schema it names.
    const id = await new KafkajsRegistry({ host: registryUrl }).register(theirSchema(format), { subject: `${topic}-value` });
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

describe("protobuf", () => {
  it("writes with the subject's latest version (useLatestVersion) when no schema file is given", async () => {
    const s = scenario("protobuf", {
      partitions: 1,
      extra: (topic) => `\n[kafka.producers.latest]\ntopic = "${topic}"\nvalueFormat = "protobuf"\nuseLatestVersion = true\n`,
    });
    await s.create();
    const [first, second] = orders(2);
    await s.kafka.producer("p1").writeMessages({ value: first! }); // registers order.proto
    await s.kafka.producer("latest").writeMessages({ value: second! });
    const handled: Message[] = [];
    await handleUntil(s.server, 2, (message) => handled.push(message));
    expect(handled.map((m) => plain(m.data))).toEqual([first, second]);
    expect(handled[1]!.value!.readInt32BE(1)).toBe(await latestSchemaId(`${s.topic}-value`));
  });

  it("writes a value naming another message of the .proto file ($typeName) as that message, with its message indexes", async () => {
    const s = scenario("protobuf", { partitions: 1 });
    await s.create();
    await s.kafka
      .producer("p1")
      .writeMessages({ value: orders(1)[0]! }, { value: { $typeName: "ekafka.e2e.Refund", orderId: "order-0", amount: 5 } });
    const unknownType = await s.kafka
      .producer("p1")
      .writeMessages({ value: { $typeName: "ekafka.e2e.Nothing" } })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(unknownType).toBeInstanceOf(SchemaEncodeError);
    expect((unknownType as Error).message).toContain("$typeName ekafka.e2e.Nothing is not a message of the schema");

    const handled: Message[] = [];
    await handleUntil(s.server, 2, (message) => handled.push(message));
    expect(handled.map((m) => (m.data as { $typeName: string }).$typeName)).toEqual(["ekafka.e2e.Order", "ekafka.e2e.Refund"]);
    expect(plain(handled[1]!.data)).toEqual({ orderId: "order-0", amount: 5 });
    // Message indexes [1]: the count 1 and the index 1, each a zigzag varint (2, 2).
    expect([...handled[1]!.value!.subarray(5, 7)]).toEqual([2, 2]);
  });
});
