// The schema registry rows: ekafka writing and reading Avro and Protobuf values (through the local
// cluster's registry) against ekafka writing and reading plain bytes of the same size. In these rows the
// "raw" column holds the bytes run, so "ekafka / raw" is the cost of the format. One run of each.
import type { Component } from "ekafka";
import type { ConsumerServer } from "ekafka/consumerserver";
import { benchComponent, producerToml } from "./component.js";
import { consumeWithEkafka, runServerUntilCounted } from "./consume/ekafka.js";
import type { HandledCounter } from "./consume/counter.js";
import { Payloads } from "./payload.js";
import { produceWithEkafka, type ValueSource } from "./produce/ekafka.js";
import { throughput, type Outcome, type Throughput } from "./result.js";
import { attempt } from "./attempt.js";
import { fromThroughput, type Row } from "./table.js";
import { elapsed } from "./timing.js";
import { benchTopic, createTopic } from "./topics.js";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The registry of kafka/cluster.sh. */
const REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";

/** A record of about 100 bytes: an id, an amount and a note of random letters. */
const ORDER_SCHEMA = {
  type: "record",
  name: "BenchOrder",
  namespace: "ekafka.bench",
  fields: [
    { name: "id", type: "string" },
    { name: "amount", type: "long" },
    { name: "note", type: "string" },
  ],
};
const ORDER_PROTO = `syntax = "proto3";
package ekafka.bench;
message BenchOrder { string id = 1; int64 amount = 2; string note = 3; }
`;

/** The Avro-encoded size of the records below: 1+8 (id) + 3 (amount) + 1+83 (note) = 96, plus the 5-byte header. */
export const AVRO_SIZE = 101;
/** In Protobuf: 2+8 (id) + 1+2 (amount) + 2+83 (note) = 98, plus the 5-byte header and the message index byte. */
export const PROTOBUF_SIZE = 104;

/** A format's rows: its valueFormat, name in the table, schema file's name and text, and record size. */
interface Format {
  format: "avro" | "protobuf";
  name: string;
  file: string;
  schema: string;
  size: number;
}
const FORMATS: Format[] = [
  { format: "avro", name: "Avro", file: "order.avsc", schema: JSON.stringify(ORDER_SCHEMA), size: AVRO_SIZE },
  { format: "protobuf", name: "Protobuf", file: "order.proto", schema: ORDER_PROTO, size: PROTOBUF_SIZE },
];

/** Records cycled through, each with its own random note (as the bytes runs cycle through random values). */
class Orders implements ValueSource {
  constructor(readonly size: number) {}
  readonly #letters = new Payloads(83);
  readonly #cache = new Map<number, object>();

  valueAt(index: number): object {
    const slot = index % 20_000;
    let order = this.#cache.get(slot);
    if (order === undefined) {
      order = {
        id: `o${String(slot).padStart(7, "0")}`,
        amount: 1000 + (slot % 9000),
        note: this.#letters.valueAt(slot).toString("latin1"),
      };
      this.#cache.set(slot, order);
    }
    return order;
  }
}

/** The produce and consume rows of Avro and of Protobuf, each against bytes of its size, `count` messages each. */
export async function schemaRegistryRows(admin: Component, count: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const format of FORMATS) rows.push(...(await formatRows(admin, count, format)));
  return rows;
}

async function formatRows(admin: Component, count: number, { format, name, file, schema, size }: Format): Promise<Row[]> {
  const schemaFile = join(mkdtempSync(join(tmpdir(), "ekafka-bench-")), file);
  writeFileSync(schemaFile, schema);
  const formatTopic = benchTopic(format);
  const bytesTopic = benchTopic(`${format}-baseline-bytes`);
  await createTopic(admin, formatTopic);
  await createTopic(admin, bytesTopic);
  const registry = `\n[kafka.schemaRegistry]\nurl = "${REGISTRY_URL}"\n`;
  const encoded = benchComponent(
    `${registry}${producerToml("bench", formatTopic, "none")}valueFormat = "${format}"\nvalueSchemaFile = "${schemaFile}"\n`,
  );
  const bytes = benchComponent(producerToml("bench", bytesTopic, "none"));
  console.log(
    `${elapsed()} schema registry: ${name} against bytes of the same size (${count.toLocaleString("en-US")} messages, one run each)`,
  );
  let produced: Record<"encoded" | "bytes", Outcome<Throughput>>;
  try {
    produced = {
      bytes: await attempt("ekafka bytes", () => produceWithEkafka(bytes.producer("bench"), new Payloads(size), count)),
      encoded: await attempt(`ekafka ${name}`, () => produceWithEkafka(encoded.producer("bench"), new Orders(size), count)),
    };
  } finally {
    await Promise.all([encoded.close(), bytes.close()]);
  }
  // Each topic holds the untimed warm-up chunk too; reading `count` of its messages is what is timed.
  const consumed = {
    bytes: await attempt("ekafka Consumer Server, bytes", () => consumeWithEkafka(bytesTopic, size, count)),
    encoded: await attempt(`ekafka Consumer Server, ${name}`, async () => {
      const handled = (server: ConsumerServer, counter: HandledCounter) => server.onEachMessage(() => counter.handled());
      const seconds = await runServerUntilCounted(
        formatTopic,
        `server-${format}`,
        "",
        count,
        handled,
        `valueFormat = "${format}"\n${registry}`,
      );
      return throughput(count, seconds, size);
    }),
  };
  const row = (rowName: string, outcomes: Record<"encoded" | "bytes", Outcome<Throughput>>): Row => ({
    name: rowName,
    unit: "rate",
    ekafka: fromThroughput(outcomes.encoded),
    raw: fromThroughput(outcomes.bytes),
  });
  return [
    row(`schema registry: produce ${name} ${size} B (raw column: ekafka writing bytes)`, produced),
    row(`schema registry: consume ${name} ${size} B, each message (raw column: ekafka reading bytes)`, consumed),
  ];
}
