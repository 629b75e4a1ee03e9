// Promise helpers over the raw @confluentinc/kafka-javascript client, for tests that check the cluster
// and the client themselves rather than ekafka.
import kafka from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError, Message as RawMessage } from "@confluentinc/kafka-javascript";
import { bootstrap } from "./env.js";

export type RawConfig = Record<string, string | number | boolean>;

function callback<T>(fn: (cb: (err: LibrdKafkaError | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/**
 * Creates a topic (3 partitions, replication factor 3 unless told otherwise) and waits until every
 * broker knows it: a consumer group whose leader asks a broker that does not know the topic yet would
 * otherwise get an empty assignment.
 */
export async function createTopic(topic: string, partitions = 3, replicationFactor = 3, extra: RawConfig = {}): Promise<void> {
  const admin = kafka.AdminClient.create({ "bootstrap.servers": bootstrap, ...extra });
  try {
    await callback<void>((cb) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: replicationFactor }, 15000, (err) => cb(err, undefined)),
    );
  } finally {
    admin.disconnect();
  }
  await waitForTopic(topic, partitions);
}

/** Waits until each broker's metadata shows `topic` with `partitions` partitions, each with a leader. */
export async function waitForTopic(topic: string, partitions: number, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const broker of bootstrap.split(",")) {
    // One broker per client, so the metadata comes from that broker and no other.
    const producer = await rawProducer({ "bootstrap.servers": broker, "allow.auto.create.topics": false });
    try {
      for (;;) {
        const metadata = await callback<kafka.Metadata>((cb) => producer.getMetadata({ topic, timeout: 5000 }, cb)).catch(() => undefined);
        const found = metadata?.topics.find((t) => t.name === topic);
        if (found?.partitions.length === partitions && found.partitions.every((p) => p.leader >= 0)) break;
        if (Date.now() > deadline) throw new Error(`broker ${broker} did not learn of topic ${topic} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await disconnect(producer);
    }
  }
}

/**
 * Connects a raw producer with delivery reports, served by librdkafka's background thread (as the
 * library's producers are). Not by `setPollInterval`: that timer keeps calling the native poll until the
 * binding reports the disconnect done, and a poll landing while the disconnect frees the handle crashed
 * the test process ("pure virtual method called", or SIGSEGV in `NodeKafka::Producer::Poll`) in about one
 * full run in three.
 */
export async function rawProducer(conf: RawConfig = {}): Promise<kafka.Producer> {
  const producer = new kafka.Producer({ "bootstrap.servers": bootstrap, dr_cb: true, acks: -1, "linger.ms": 5, ...conf });
  await callback((cb) => producer.connect({ timeout: 10000 }, cb));
  producer.setPollInBackground(true);
  return producer;
}

/** Produces the values to `topic` and resolves when every one was acknowledged. */
export async function produceAll(producer: kafka.Producer, topic: string, values: string[]): Promise<void> {
  let pending = values.length;
  const done = new Promise<void>((resolve, reject) => {
    const onReport = (err: LibrdKafkaError) => {
      if (err) {
        producer.off("delivery-report", onReport);
        reject(err);
        return;
      }
      if (--pending === 0) {
        producer.off("delivery-report", onReport);
        resolve();
      }
    };
    producer.on("delivery-report", onReport);
  });
  for (const value of values) producer.produce(topic, null, Buffer.from(value), Buffer.from(value));
  await done;
}

/** Produces the values to `topic` with a short-lived raw producer; resolves once all are acknowledged. */
export async function fillTopic(topic: string, values: string[], conf: RawConfig = {}): Promise<void> {
  const producer = await rawProducer(conf);
  try {
    await produceAll(producer, topic, values);
  } finally {
    await disconnect(producer);
  }
}

export async function disconnect(client: kafka.Producer | kafka.KafkaConsumer): Promise<void> {
  await new Promise<void>((resolve) => {
    // A producer flushes first (it takes a timeout); a consumer's disconnect takes only the callback.
    if (client instanceof kafka.Producer) client.disconnect(5000, () => resolve());
    else client.disconnect(() => resolve());
  });
}

/** Reads `count` messages of `topic` from the beginning with a fresh group; rejects after `timeoutMs`. */
export async function consumeCount(topic: string, count: number, conf: RawConfig = {}, timeoutMs = 60000): Promise<RawMessage[]> {
  // auto.offset.reset is a topic-level property: in the global config it would be overridden by the
  // (empty) topic config the client always passes.
  const consumer = new kafka.KafkaConsumer(
    { "bootstrap.servers": bootstrap, "group.id": `raw-${topic}-${Date.now()}`, ...conf },
    { "auto.offset.reset": "earliest" },
  );
  await callback((cb) => consumer.connect({ timeout: 10000 }, cb));
  consumer.subscribe([topic]);
  consumer.setDefaultConsumeTimeout(200);
  const messages: RawMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (messages.length < count) {
      if (Date.now() > deadline) throw new Error(`consumed ${messages.length} of ${count} messages of ${topic} in ${timeoutMs} ms`);
      const batch = await callback<RawMessage[]>((cb) => consumer.consume(500, cb));
      messages.push(...batch);
    }
    return messages;
  } finally {
    await disconnect(consumer);
  }
}
