import { kafkajsClient } from "../kafkajs.js";
import { throughput, type Throughput } from "../result.js";
import { CONSUME_TIMEOUT_MS, CONSUMER, freshGroupId } from "../settings.js";
import { HandledCounter } from "./counter.js";

/**
 * Reads `count` messages with KafkaJS's eachMessage in a new group; KafkaJS commits resolved offsets
 * every commit interval (at-least-once, as the others).
 */
export async function consumeWithKafkajs(topic: string, size: number, count: number): Promise<Throughput> {
  const consumer = kafkajsClient("ekafka-bench-kafkajs").consumer({
    groupId: freshGroupId("kafkajs"),
    maxWaitTimeInMs: CONSUMER.maxWaitMs,
    maxBytesPerPartition: CONSUMER.maxBytesPerPartition,
  });
  await consumer.connect();
  const counter = new HandledCounter(count);
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommitInterval: CONSUMER.commitIntervalMs, eachMessage: async () => counter.handled() });
    await counter.finished(CONSUME_TIMEOUT_MS);
  } finally {
    await consumer.disconnect();
  }
  return throughput(count, counter.seconds, size);
}
