import kafka from "@confluentinc/kafka-javascript";
import type { DeliveryReport, LibrdKafkaError } from "@confluentinc/kafka-javascript";
import { splitByLevel, type LibrdkafkaProperties } from "../../src/librdkafka-properties.js";
import { Payloads } from "../payload.js";
import { throughput, type Throughput } from "../result.js";
import { WRITE_CHUNK, WRITES_IN_FLIGHT } from "../settings.js";
import { sleep } from "../timing.js";

const QUEUE_FULL = kafka.CODES.ERRORS.ERR__QUEUE_FULL;

/** One chunk of messages waiting for its delivery reports (the raw counterpart of a writeMessages call). */
class Chunk {
  #remaining: number;
  #failure: LibrdKafkaError | undefined;
  readonly done: Promise<void>;
  #resolve!: () => void;
  #reject!: (err: LibrdKafkaError) => void;

  constructor(size: number) {
    this.#remaining = size;
    this.done = new Promise((resolve, reject) => ((this.#resolve = resolve), (this.#reject = reject)));
  }

  settle(err: LibrdKafkaError | null): void {
    if (err) this.#failure ??= err;
    if (--this.#remaining > 0) return;
    if (this.#failure === undefined) this.#resolve();
    else this.#reject(this.#failure);
  }
}

/**
 * Writes `count` messages through the raw @confluentinc/kafka-javascript Producer with the very
 * librdkafka properties the ekafka producer has, in the same pattern as the ekafka run: chunks of
 * WRITE_CHUNK messages, WRITES_IN_FLIGHT chunks unacknowledged at a time, each done when its delivery
 * reports are in. Partitions round-robin, as ekafka's default balancer; reports polled in the background.
 */
export async function produceWithRaw(
  properties: LibrdkafkaProperties,
  topic: string,
  payloads: Payloads,
  count: number,
): Promise<Throughput> {
  const { global, topic: topicLevel } = splitByLevel(properties);
  const producer = new kafka.Producer(global, topicLevel);
  producer.on("delivery-report", (err: LibrdKafkaError, report: DeliveryReport) => (report.opaque as Chunk).settle(err ?? null));
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  producer.setPollInBackground(true);
  try {
    await produceAll(producer, topic, payloads, WRITE_CHUNK); // connections and metadata: not timed
    const started = performance.now();
    await produceAll(producer, topic, payloads, count);
    return throughput(count, (performance.now() - started) / 1000, payloads.size);
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(5000, () => resolve()));
  }
}

async function produceAll(producer: kafka.Producer, topic: string, payloads: Payloads, count: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let sent = 0; sent < count; sent += WRITE_CHUNK) {
    if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    const size = Math.min(WRITE_CHUNK, count - sent);
    const chunk = new Chunk(size);
    for (let i = sent; i < sent + size; i++) {
      while (!tryProduce(producer, topic, i % 3, payloads.valueAt(i), chunk)) await sleep(1);
    }
    const done = chunk.done.finally(() => inFlight.delete(done));
    done.catch(() => undefined); // observed by the race/all below; this keeps Node from calling it unhandled first
    inFlight.add(done);
  }
  await Promise.all(inFlight);
}

function tryProduce(producer: kafka.Producer, topic: string, partition: number, value: Buffer, chunk: Chunk): boolean {
  try {
    producer.produce(topic, partition, value, null, undefined, chunk);
    return true;
  } catch (err) {
    if ((err as LibrdKafkaError).code === QUEUE_FULL) return false;
    throw err;
  }
}
