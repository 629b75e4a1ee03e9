import type { CompressionTypes, Producer } from "kafkajs";
import { kafkajsClient } from "../kafkajs.js";
import { Payloads } from "../payload.js";
import { throughput, type Throughput } from "../result.js";
import { PRODUCER, WRITE_CHUNK, WRITES_IN_FLIGHT } from "../settings.js";

/**
 * Writes `count` messages through KafkaJS: send() calls of WRITE_CHUNK messages, WRITES_IN_FLIGHT at a
 * time, acks=all (KafkaJS batches per send call; keyless messages go round-robin).
 */
export async function produceWithKafkajs(
  topic: string,
  compression: CompressionTypes,
  payloads: Payloads,
  count: number,
): Promise<Throughput> {
  const producer = kafkajsClient("ekafka-bench-kafkajs").producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await sendAll(producer, topic, compression, payloads, WRITE_CHUNK); // warm-up, not timed
    const started = performance.now();
    await sendAll(producer, topic, compression, payloads, count);
    return throughput(count, (performance.now() - started) / 1000, payloads.size);
  } finally {
    await producer.disconnect();
  }
}

async function sendAll(producer: Producer, topic: string, compression: CompressionTypes, payloads: Payloads, count: number): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (let sent = 0; sent < count; sent += WRITE_CHUNK) {
    if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    const messages = Array.from({ length: Math.min(WRITE_CHUNK, count - sent) }, (_, i) => ({ value: payloads.valueAt(sent + i) }));
    const send: Promise<unknown> = producer
      .send({ topic, messages, acks: PRODUCER.acks, compression })
      .finally(() => inFlight.delete(send));
    send.catch(() => undefined); // observed by the race/all; this keeps Node from calling it unhandled first
    inFlight.add(send);
  }
  await Promise.all(inFlight);
}
