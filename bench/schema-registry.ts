// The schema registry rows: ekafka writing and reading Avro values (through the local cluster's
// registry) against ekafka writing and reading plain bytes of the same size. In these rows the "raw"
// column holds the bytes run, so "ekafka / raw" is the cost of Avro. One run of each.
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

/** A record of about 100 bytes in Avro: an id, an amount and a note of random letters. */
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

/** The Avro-encoded size of the records below: 1+8 (id) + 3 (amount) + 1+83 (note) = 96, plus the 5-byte header. */
export const AVRO_SIZE = 101;

/** Records cycled through, each with its own random note (as the bytes runs cycle through random values). */
class Orders implements ValueSource {
  readonly size = AVRO_SIZE;
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

/** The produce and consume rows of Avro against bytes, `count` messages each. */
export async function schemaRegistryRows(admin: Component, count: number): Promise<Row[]> {
  const schemaFile = join(mkdtempSync(join(tmpdir(), "ekafka-bench-")), "order.avsc");
  writeFileSync(schemaFile, JSON.stringify(ORDER_SCHEMA));
  const avroTopic = benchTopic("avro");
  const bytesTopic = benchTopic("avro-baseline-bytes");
  await createTopic(admin, avroTopic);
  await createTopic(admin, bytesTopic);
  const registry = `\n[kafka.schemaRegistry]\nurl = "${REGISTRY_URL}"\n`;
  const avro = benchComponent(
    `${registry}${producerToml("bench", avroTopic, "none")}valueFormat = "avro"\nvalueSchemaFile = "${schemaFile}"\n`,
  );
  const bytes = benchComponent(producerToml("bench", bytesTopic, "none"));
  console.log(
    `${elapsed()} schema registry: Avro against bytes of the same size (${count.toLocaleString("en-US")} messages, one run each)`,
  );
  let produced: Record<"avro" | "bytes", Outcome<Throughput>>;
  try {
    produced = {
      bytes: await attempt("ekafka bytes", () => produceWithEkafka(bytes.producer("bench"), new Payloads(AVRO_SIZE), count)),
      avro: await attempt("ekafka Avro", () => produceWithEkafka(avro.producer("bench"), new Orders(), count)),
    };
  } finally {
    await Promise.all([avro.close(), bytes.close()]);
  }
  // Each topic holds the untimed warm-up chunk too; reading `count` of its messages is what is timed.
  const consumed = {
    bytes: await attempt("ekafka Consumer Server, bytes", () => consumeWithEkafka(bytesTopic, AVRO_SIZE, count)),
    avro: await attempt("ekafka Consumer Server, Avro", async () => {
      const handled = (server: ConsumerServer, counter: HandledCounter) => server.onEachMessage(() => counter.handled());
      const seconds = await runServerUntilCounted(avroTopic, "server-avro", "", count, handled, `valueFormat = "avro"\n${registry}`);
      return throughput(count, seconds, AVRO_SIZE);
    }),
  };
  const row = (name: string, outcomes: Record<"avro" | "bytes", Outcome<Throughput>>): Row => ({
    name,
    unit: "rate",
    ekafka: fromThroughput(outcomes.avro),
    raw: fromThroughput(outcomes.bytes),
  });
  return [
    row(`schema registry: produce Avro ${AVRO_SIZE} B (raw column: ekafka writing bytes)`, produced),
    row(`schema registry: consume Avro ${AVRO_SIZE} B, each message (raw column: ekafka reading bytes)`, consumed),
  ];
}
