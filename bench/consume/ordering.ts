import { benchComponent } from "../component.js";
import { kafkajsClient } from "../kafkajs.js";
import { throughput, type Throughput } from "../result.js";
import { CONSUME_TIMEOUT_MS, CONSUMER, freshGroupId } from "../settings.js";
import { HandledCounter } from "./counter.js";
import { runServerUntilCounted } from "./ekafka.js";

/** How the handler of an ordering row spends its time: waiting on I/O for `waitMs`, or on the CPU only. */
export type HandlerWork = { waitMs: number } | "cpu";

/** Some CPU work with no await: what an in-memory transformation costs. */
function spin(): number {
  let x = 0;
  for (let i = 0; i < 2000; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

function handlerOf(work: HandlerWork, counter: HandledCounter): () => unknown {
  if (work === "cpu") {
    return () => {
      spin();
      counter.handled();
    };
  }
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, work.waitMs));
    counter.handled();
  };
}

/** Writes `count` 100-byte messages over `keys` keys (the hash balancer: a key stays on its partition). */
export async function fillKeyedTopic(topic: string, count: number, keys: number): Promise<void> {
  const kafka = benchComponent(`[kafka.producers.fill]\ntopic = "${topic}"\nbalancer = "hash"\nbatchTimeout = "5ms"\n`);
  try {
    const value = "x".repeat(100);
    for (let i = 0; i < count; i += 1000) {
      const chunk = Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({ key: `k${(i + j) % keys}`, value }));
      await kafka.producer("fill").writeMessages(...chunk);
    }
  } finally {
    await kafka.close();
  }
}

/** Reads `count` messages with a Consumer Server `onEachMessage` in a new group, with `serverKeys` (ordering, concurrency). */
export async function consumeOrderedWithEkafka(topic: string, count: number, serverKeys: string, work: HandlerWork): Promise<Throughput> {
  const seconds = await runServerUntilCounted(topic, "ordering", serverKeys, count, (server, counter) =>
    server.onEachMessage(handlerOf(work, counter)),
  );
  return throughput(count, seconds, 100);
}

/** Reads `count` messages with KafkaJS eachMessage, `partitionsConsumedConcurrently` partitions at once. */
export async function consumeConcurrentlyWithKafkajs(
  topic: string,
  count: number,
  partitions: number,
  work: HandlerWork,
): Promise<Throughput> {
  const consumer = kafkajsClient("ekafka-bench-kafkajs").consumer({
    groupId: freshGroupId("kafkajs-ordering"),
    maxWaitTimeInMs: CONSUMER.maxWaitMs,
  });
  await consumer.connect();
  const counter = new HandledCounter(count);
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const handle = handlerOf(work, counter);
    await consumer.run({
      autoCommitInterval: CONSUMER.commitIntervalMs,
      partitionsConsumedConcurrently: partitions,
      eachMessage: async () => {
        await handle();
      },
    });
    await counter.finished(CONSUME_TIMEOUT_MS);
  } finally {
    await consumer.disconnect();
  }
  return throughput(count, counter.seconds, 100);
}
