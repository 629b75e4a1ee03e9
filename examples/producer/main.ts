// Writes orders with keys and headers through a zstd-compressing producer, and shows where each one
// landed: with the `hash` balancer the same key always goes to the same partition.
import { fileURLToPath } from "node:url";
import { config, configPathFromArgs } from "ekafka/core";
import { load, withClientInterceptor, type Interceptor } from "ekafka";

const TOPIC = "ekafka-example-orders";

// Runs from dist/examples/producer/; the config stays next to the source (or pass --config PATH).
config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/producer/config.toml", import.meta.url)));

/**
 * Prints where written messages landed, once the brokers acknowledged them: an interceptor sees the
 * messages after the write, with their partition and offset filled in.
 */
const printDelivery: Interceptor = (next) => async (ctx, messages, cmd) => {
  await next(ctx, messages, cmd);
  if (cmd.operation !== "WriteMessages") return;
  if (messages.length > 10) {
    const partitions = [...new Set(messages.map((m) => m.partition))].sort();
    console.log(`delivered ${messages.length} messages to partitions ${partitions.join(",")}`);
    return;
  }
  for (const m of messages) console.log(`delivered key=${m.keyString()} partition=${m.partition} offset=${m.offset}`);
};

const kafka = load("kafka").build(withClientInterceptor(printDelivery));
try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  const orders = kafka.producer("orders");

  // One call, several messages: it resolves when all of them are acknowledged (requiredAcks = -1).
  const customers = ["alice", "dave", "erin", "alice", "dave", "alice"];
  await orders.writeMessages(
    ...customers.map((customer, i) => ({
      key: customer,
      value: JSON.stringify({ order: i + 1, customer, amount: 10 * (i + 1) }),
      headers: { "content-type": "application/json", source: "examples/producer" },
    })),
  );

  // A larger write shows what compression is for: 1,000 similar JSON values travel as a few KB.
  const bulk = Array.from({ length: 1000 }, (_, i) => ({
    key: `bulk-${i % 10}`,
    value: JSON.stringify({ order: i, note: "the same text again and again" }),
  }));
  const started = performance.now();
  await orders.writeMessages(...bulk);
  console.log(`wrote ${bulk.length} zstd-compressed messages in ${Math.round(performance.now() - started)} ms`);
} finally {
  await kafka.close();
}
console.log("producer example done");
