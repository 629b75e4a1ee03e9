import kafka from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError, Message } from "@confluentinc/kafka-javascript";
import { splitByLevel } from "../../src/librdkafka-properties.js";
import { benchComponent, groupToml, producerToml } from "../component.js";
import { RUN_ID, TOPIC_PREFIX } from "../settings.js";
import type { LatencyRig } from "./rig.js";

/** The raw client: produce() with a delivery report per message → a consume loop (ekafka's properties). */
export function rawLatencyRig(topic: string): LatencyRig {
  const component = benchComponent(
    `${producerToml("latency", topic, "none")}${groupToml("latency", topic, `${TOPIC_PREFIX}latency-raw-${RUN_ID}`)}`,
  );
  const producerConf = splitByLevel(component.producerPropertiesOf("latency"));
  const consumerConf = splitByLevel(component.consumerPropertiesOf("consumerGroups", "latency"));
  void component.close();
  const producer = new kafka.Producer(producerConf.global, producerConf.topic);
  const consumer = new kafka.KafkaConsumer(consumerConf.global, consumerConf.topic);
  const pending = new Map<number, { resolve: () => void; reject: (err: unknown) => void }>();
  let sequence = 0;
  let stopped = false;
  let loop: Promise<void> | undefined;
  producer.on("delivery-report", (err: LibrdKafkaError, report) => {
    const waiter = pending.get(report.opaque as number);
    pending.delete(report.opaque as number);
    if (err) waiter?.reject(err);
    else waiter?.resolve();
  });
  return {
    async start(onValue) {
      await connect(producer);
      producer.setPollInBackground(true);
      await connect(consumer);
      consumer.setDefaultConsumeTimeout(100);
      (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
      consumer.subscribe([topic]);
      loop = (async () => {
        while (!stopped) {
          const batch = await new Promise<Message[]>((resolve, reject) =>
            consumer.consume(500, (err: LibrdKafkaError, messages) => (err ? reject(err) : resolve(messages))),
          );
          for (const message of batch) onValue(message.value!);
          if (batch.length > 0) consumer.offsetsStore(batch.map((m) => ({ topic: m.topic, partition: m.partition, offset: m.offset + 1 })));
        }
      })();
    },
    send(value) {
      const id = sequence++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        producer.produce(topic, id % 3, value, null, undefined, id);
      });
    },
    async stop() {
      stopped = true;
      await loop;
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      await new Promise<void>((resolve) => producer.disconnect(5000, () => resolve()));
    },
  };
}

function connect(client: kafka.Producer | kafka.KafkaConsumer): Promise<void> {
  return new Promise((resolve, reject) => client.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
}
