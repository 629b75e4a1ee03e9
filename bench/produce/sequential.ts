import kafka from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError } from "@confluentinc/kafka-javascript";
import type { Producer } from "ekafka";
import { splitByLevel, type LibrdkafkaProperties } from "../../src/librdkafka-properties.js";
import { Payloads } from "../payload.js";
import { throughput, type Throughput } from "../result.js";

/**
 * The pattern most services use: one `await writeMessages(...)` after the other, each of `perCall`
 * messages, so every call waits for its acknowledgements before the next starts. `calls` timed calls
 * after one untimed call (connection, metadata).
 */
export async function writeSequentiallyWithEkafka(
  producer: Producer,
  payloads: Payloads,
  perCall: number,
  calls: number,
): Promise<Throughput> {
  await producer.writeMessages(...chunk(payloads, 0, perCall));
  const started = performance.now();
  for (let call = 0; call < calls; call++) await producer.writeMessages(...chunk(payloads, call * perCall, perCall));
  return throughput(calls * perCall, (performance.now() - started) / 1000, payloads.size);
}

function chunk(payloads: Payloads, from: number, count: number): Array<{ value: Buffer }> {
  return Array.from({ length: count }, (_, i) => ({ value: payloads.valueAt(from + i) }));
}

/**
 * The raw client in the same pattern: produce() `perCall` messages (partitions in turn, per message),
 * then wait for their delivery reports, `calls` times; the same librdkafka properties as ekafka's.
 */
export async function writeSequentiallyWithRaw(
  properties: LibrdkafkaProperties,
  topic: string,
  payloads: Payloads,
  perCall: number,
  calls: number,
): Promise<Throughput> {
  const { global, topic: topicLevel } = splitByLevel(properties);
  const producer = new kafka.Producer(global, topicLevel);
  let settle: (err: LibrdKafkaError | null) => void = () => undefined;
  producer.on("delivery-report", (err: LibrdKafkaError) => settle(err ?? null));
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  producer.setPollInBackground(true);
  let next = 0;
  const call = (from: number) =>
    new Promise<void>((resolve, reject) => {
      let remaining = perCall;
      let failure: LibrdKafkaError | null = null;
      settle = (err) => {
        failure ??= err;
        if (--remaining === 0) {
          if (failure === null) resolve();
          else reject(failure);
        }
      };
      for (let i = 0; i < perCall; i++) producer.produce(topic, next++ % 3, payloads.valueAt(from + i), null, undefined);
    });
  try {
    await call(0);
    const started = performance.now();
    for (let c = 0; c < calls; c++) await call(c * perCall);
    return throughput(calls * perCall, (performance.now() - started) / 1000, payloads.size);
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(5000, () => resolve()));
  }
}
