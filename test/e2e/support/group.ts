// What a consumer group committed, and which broker coordinates a group or a transactional id.
import kafkaNative from "@confluentinc/kafka-javascript";
import type { GroupDescription, LibrdKafkaError, TopicPartitionOffsetAndMetadata } from "@confluentinc/kafka-javascript";
import type { Component } from "ekafka";
import { bootstrap, uniqueName } from "./env.js";
import { disconnect, rawProducer } from "./raw.js";
import { eventually } from "./wait.js";

/** The offset `groupID` committed for one partition of `topic`, through the component's client (-1 when none). */
export async function committed(kafka: Component, groupID: string, topic: string, partition: number): Promise<number> {
  const offsets = await kafka.client().offsetFetch(groupID, topic);
  const offset = offsets.find((p) => p.partition === partition)?.offset ?? -1;
  return offset < 0 ? -1 : offset; // librdkafka says -1001 (OFFSET_INVALID) for "none"
}

/**
 * The partition of an internal topic (__consumer_offsets, __transaction_state) holding `key`'s state, as
 * Kafka picks it: Utils.abs(key.hashCode()) % partitions — Java's String.hashCode over UTF-16 units, and
 * Kafka's abs, which is Math.abs except that Integer.MIN_VALUE gives 0.
 */
export function internalPartitionOf(key: string, partitions: number): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (Math.imul(31, hash) + key.charCodeAt(i)) | 0;
  return (hash === -0x80000000 ? 0 : Math.abs(hash)) % partitions;
}

/**
 * The leader of each partition of an internal topic (__consumer_offsets, __transaction_state), by
 * partition: the broker coordinating the keys kept there (null during an election; an empty list when
 * the topic does not exist yet). Asked with a raw client of its own (not the component's admin client,
 * whose describe calls were seen timing out for 30 s while a broker was stopped).
 */
export async function internalLeaders(internalTopic: "__consumer_offsets" | "__transaction_state"): Promise<Array<number | null>> {
  const producer = await rawProducer({ "allow.auto.create.topics": false });
  try {
    const metadata = await new Promise<kafkaNative.Metadata>((resolve, reject) =>
      producer.getMetadata({ topic: internalTopic, timeout: 5_000 }, (err, data) => (err ? reject(err) : resolve(data))),
    );
    const partitions = metadata.topics.find((t) => t.name === internalTopic)?.partitions ?? [];
    const leaders = new Array<number | null>(partitions.length).fill(null);
    for (const p of partitions) leaders[p.id] = p.leader >= 0 ? p.leader : null;
    return leaders;
  } finally {
    await disconnect(producer);
  }
}

/**
 * The leaders of an internal topic, as {@link internalLeaders}, once it exists: a cluster on fresh
 * storage creates __consumer_offsets at the first group coordinator lookup and __transaction_state at
 * the first transactional producer's initialization, so this makes that lookup when the topic is
 * missing, then waits for it.
 */
export async function createdInternalLeaders(internalTopic: "__consumer_offsets" | "__transaction_state"): Promise<Array<number | null>> {
  const leaders = await internalLeaders(internalTopic);
  if (leaders.length > 0) return leaders;
  await (internalTopic === "__consumer_offsets" ? lookUpGroupCoordinator() : initTransactions());
  return eventually(
    async () => {
      const created = await internalLeaders(internalTopic);
      return created.length > 0 ? created : undefined;
    },
    30_000,
    `${internalTopic} created`,
  );
}

/** A group coordinator lookup (FindCoordinator), made by asking a group that never joins for its committed offsets. */
async function lookUpGroupCoordinator(): Promise<void> {
  const probe = await committedProbe(uniqueName("g-coordinator-lookup"), 30_000);
  try {
    // Its answer does not matter (it may time out while the topic is being created): the wait that follows decides.
    await probe.committed("__ekafka_coordinator_lookup", 1).catch(() => undefined);
  } finally {
    await probe.close();
  }
}

/** A transactional producer's initialization, which makes the cluster create __transaction_state. */
async function initTransactions(): Promise<void> {
  const producer = await rawProducer({ "transactional.id": uniqueName("txid-init") });
  try {
    await new Promise<void>((resolve, reject) => producer.initTransactions(30_000, (err) => (err ? reject(err) : resolve())));
  } finally {
    await disconnect(producer);
  }
}

/** The partition of `internalTopic` holding `key`'s state, and the broker leading it: the one coordinating `key`. */
export async function coordinatorPartition(
  internalTopic: "__consumer_offsets" | "__transaction_state",
  key: string,
): Promise<{ partition: number; leader: number | null }> {
  const leaders = await createdInternalLeaders(internalTopic);
  const partition = internalPartitionOf(key, leaders.length);
  return { partition, leader: leaders[partition] ?? null };
}

/** The broker coordinating `groupID`: the leader of its __consumer_offsets partition. */
export async function coordinatorOf(groupID: string): Promise<number> {
  const { partition, leader } = await coordinatorPartition("__consumer_offsets", groupID);
  if (leader === null) throw new Error(`__consumer_offsets partition ${partition} (group ${groupID}) has no leader now`);
  return leader;
}

/** The broker's description of `groupID` (its type, assignor, members), through librdkafka's admin API. */
export async function describeGroup(groupID: string): Promise<GroupDescription> {
  const admin = kafkaNative.AdminClient.create({ "bootstrap.servers": bootstrap });
  try {
    return await new Promise<GroupDescription>((resolve, reject) => {
      admin.describeGroups([groupID], { timeout: 10_000 }, (err, result) => (err ? reject(err) : resolve(result.groups[0]!)));
    });
  } finally {
    admin.disconnect();
  }
}

/**
 * A raw consumer with `groupID`'s id that never joins the group, for reading the group's committed
 * offsets straight from the cluster (not through ekafka) while the group's members come and go.
 * `isolation` read_uncommitted reads offsets that members commit in transactions while a transaction of
 * theirs is open: the last committed ones (a read_committed probe asks for stable offsets, and gets none
 * of a partition while a transaction holds offsets of it).
 */
export async function committedProbe(
  groupID: string,
  timeoutMs = 3_000,
  isolation: "read_committed" | "read_uncommitted" = "read_committed",
) {
  const consumer = new kafkaNative.KafkaConsumer(
    {
      "bootstrap.servers": bootstrap,
      "group.id": groupID,
      "enable.auto.commit": false,
      "socket.timeout.ms": timeoutMs,
      "isolation.level": isolation,
    },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  return {
    /** The committed offset of each partition of `topic`, by partition (negative where none). */
    committed(topic: string, partitions: number): Promise<Map<number, number>> {
      const request = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
      return new Promise((resolve, reject) =>
        consumer.committed(request, timeoutMs, (err: LibrdKafkaError, offsets: TopicPartitionOffsetAndMetadata[]) =>
          err ? reject(err) : resolve(new Map(offsets.map((o) => [o.partition, o.offset]))),
        ),
      );
    },
    close: () => new Promise<void>((resolve) => consumer.disconnect(() => resolve())),
  };
}

/** The committed offsets of `groupID` for partitions 0..partitions-1 of `topic` (0 where none), read once by a {@link committedProbe}. */
export async function readCommitted(groupID: string, topic: string, partitions: number): Promise<number[]> {
  const probe = await committedProbe(groupID, 10_000);
  try {
    const offsets = await probe.committed(topic, partitions);
    return Array.from({ length: partitions }, (_, p) => Math.max(0, offsets.get(p) ?? 0));
  } finally {
    await probe.close();
  }
}
