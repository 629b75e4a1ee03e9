import { ErrorCodes, KafkaError, type Component } from "ekafka";
import { RUN_ID, TOPIC_PREFIX } from "./settings.js";
import { sleep } from "./timing.js";

/** How long to wait for a missing broker to come back before a topic's creation fails the run. */
const BROKER_WAIT_MS = 180_000;

/** A topic name of this run. */
export function benchTopic(purpose: string): string {
  return `${TOPIC_PREFIX}${purpose}-${RUN_ID}`;
}

/**
 * Creates a topic of 3 partitions, replication factor 3 (min.insync.replicas 2: acks=all waits for 2).
 * While a broker is down (someone else's fault test on the shared cluster) it waits for it: numbers
 * measured on two brokers would not be comparable.
 */
export async function createTopic(admin: Component, topic: string): Promise<void> {
  const deadline = Date.now() + BROKER_WAIT_MS;
  for (let waited = false; ; waited = true) {
    try {
      await admin.client().createTopics([{ topic, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
      if (waited) console.log("  all brokers are back");
      return;
    } catch (error) {
      const brokerMissing = error instanceof KafkaError && (error.code === ErrorCodes.ERR_INVALID_REPLICATION_FACTOR || error.retriable);
      if (!brokerMissing || Date.now() > deadline) throw error;
      if (!waited) console.log("  a broker is down; waiting for it before going on");
      await sleep(2000);
    }
  }
}

/** Deletes every bench topic (of this run and of earlier ones), to give the disk back. */
export async function deleteBenchTopics(admin: Component): Promise<number> {
  const topics = (await admin.client().listTopics()).filter((topic) => topic.startsWith(TOPIC_PREFIX));
  if (topics.length > 0) await admin.client().deleteTopics(...topics);
  return topics.length;
}
