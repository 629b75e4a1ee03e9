import kafka from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError, Message, TopicPartitionOffset } from "@confluentinc/kafka-javascript";
import { splitByLevel } from "../../src/librdkafka-properties.js";
import { benchComponent, groupToml } from "../component.js";
import { throughput, type Throughput } from "../result.js";
import { CONSUME_TIMEOUT_MS, freshGroupId } from "../settings.js";
import { HandledCounter } from "./counter.js";

/** The same batch size and wait as ekafka's reader, for an equal footing. */
const BATCH = 500;
/** The raw loop's best batch size measured here (consume(1000) and consume(5000) beat consume(500) by 7-15 %). */
export const RAW_BEST_BATCH = 5000;
const WAIT_MS = 100;

/**
 * Reads `count` messages with the raw client's consume loop and the librdkafka properties ekafka's
 * consumer group has (auto-commit on, auto-store off): each batch is handled, then the offsets after it
 * are stored and committed in the background — the same at-least-once semantics.
 */
export async function consumeWithRaw(topic: string, size: number, count: number, batchSize = BATCH): Promise<Throughput> {
  const component = benchComponent(groupToml("raw", topic, freshGroupId(`raw-${batchSize}`)));
  const { global, topic: topicLevel } = splitByLevel(component.consumerPropertiesOf("consumerGroups", "raw"));
  await component.close();
  const consumer = new kafka.KafkaConsumer(global, topicLevel);
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  consumer.setDefaultConsumeTimeout(WAIT_MS);
  (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
  consumer.subscribe([topic]);
  const counter = new HandledCounter(count);
  const deadline = Date.now() + CONSUME_TIMEOUT_MS;
  try {
    while (counter.count < count) {
      if (Date.now() > deadline) throw new Error(`handled ${counter.count} of ${count} messages in ${CONSUME_TIMEOUT_MS / 1000} s`);
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(batchSize, (err: LibrdKafkaError, messages) => (err ? reject(err) : resolve(messages))),
      );
      for (const _message of batch) counter.handled();
      if (batch.length > 0) consumer.offsetsStore(nextOffsets(batch));
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return throughput(count, counter.seconds, size);
}

/** One past the last message of each partition in the batch: what to commit. */
function nextOffsets(batch: Message[]): TopicPartitionOffset[] {
  const next = new Map<string, TopicPartitionOffset>();
  for (const m of batch) next.set(`${m.topic}/${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
  return [...next.values()];
}
