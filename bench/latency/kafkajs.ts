import type { Producer } from "kafkajs";
import { kafkajsClient } from "../kafkajs.js";
import { CONSUMER, PRODUCER, RUN_ID, TOPIC_PREFIX } from "../settings.js";
import type { LatencyRig } from "./rig.js";

/**
 * KafkaJS: send() (acks=all) → eachMessage. KafkaJS has no linger: a send() per message made a produce
 * request per message, 1,000 a second, which the brokers here could not keep up with ("fell behind" in
 * every run). So the rig gathers the writes of each `linger.ms` window into one send(), which is what
 * linger.ms does for the librdkafka contenders.
 */
export function kafkajsLatencyRig(topic: string): LatencyRig {
  const client = kafkajsClient("ekafka-bench-kafkajs-latency");
  const producer = client.producer({ allowAutoTopicCreation: false });
  const consumer = client.consumer({
    groupId: `${TOPIC_PREFIX}latency-kafkajs-${RUN_ID}`,
    maxWaitTimeInMs: CONSUMER.maxWaitMs,
    maxBytesPerPartition: CONSUMER.maxBytesPerPartition,
  });
  const linger = new Linger(producer, topic);
  return {
    async start(onValue) {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommitInterval: CONSUMER.commitIntervalMs, eachMessage: async ({ message }) => onValue(message.value!) });
    },
    send: (value) => linger.send(value),
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

/** The writes of one linger window, sent together when it ends. */
class Linger {
  #values: Buffer[] = [];
  #sent: Promise<unknown> | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  send(value: Buffer): Promise<unknown> {
    this.#values.push(value);
    this.#sent ??= new Promise((resolve) => setTimeout(resolve, PRODUCER.lingerMs)).then(() => this.#flush());
    return this.#sent;
  }

  #flush(): Promise<unknown> {
    const messages = this.#values.map((value) => ({ value }));
    this.#values = [];
    this.#sent = undefined;
    return this.producer.send({ topic: this.topic, acks: PRODUCER.acks, messages });
  }
}
