import { kafkajsClient } from "../kafkajs.js";
import { CONSUMER, PRODUCER, RUN_ID, TOPIC_PREFIX } from "../settings.js";
import type { LatencyRig } from "./rig.js";

/** KafkaJS: send() of one message (acks=all) → eachMessage. */
export function kafkajsLatencyRig(topic: string): LatencyRig {
  const client = kafkajsClient("ekafka-bench-kafkajs-latency");
  const producer = client.producer({ allowAutoTopicCreation: false });
  const consumer = client.consumer({
    groupId: `${TOPIC_PREFIX}latency-kafkajs-${RUN_ID}`,
    maxWaitTimeInMs: CONSUMER.maxWaitMs,
    maxBytesPerPartition: CONSUMER.maxBytesPerPartition,
  });
  return {
    async start(onValue) {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommitInterval: CONSUMER.commitIntervalMs, eachMessage: async ({ message }) => onValue(message.value!) });
    },
    send: (value) => producer.send({ topic, acks: PRODUCER.acks, messages: [{ value }] }),
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
