// What a consumer group committed and which broker coordinates it.
import kafkaNative from "@confluentinc/kafka-javascript";
import type { GroupDescription, LibrdKafkaError, TopicPartitionOffsetAndMetadata } from "@confluentinc/kafka-javascript";
import type { Component } from "ekafka";
import { bootstrap } from "./env.js";

/** The offset `groupID` committed for one partition of `topic`, through the component's client (-1 when none). */
export async function committed(kafka: Component, groupID: string, topic: string, partition: number): Promise<number> {
  const offsets = await kafka.client().offsetFetch(groupID, topic);
  const offset = offsets.find((p) => p.partition === partition)?.offset ?? -1;
  return offset < 0 ? -1 : offset; // librdkafka says -1001 (OFFSET_INVALID) for "none"
}

/**
 * The broker coordinating `groupID`: the leader of its __consumer_offsets partition, as Kafka picks it —
 * Utils.abs(groupID.hashCode()) % partitions (Java's String.hashCode over UTF-16 units; Kafka's abs is
 * Math.abs except that Integer.MIN_VALUE gives 0).
 */
export async function coordinatorOf(kafka: Component, groupID: string): Promise<number> {
  let hash = 0;
  for (let i = 0; i < groupID.length; i++) hash = (Math.imul(31, hash) + groupID.charCodeAt(i)) | 0;
  const [offsets] = await kafka.client().metadata("__consumer_offsets");
  const partition = (hash === -0x80000000 ? 0 : Math.abs(hash)) % offsets!.partitions.length;
  return offsets!.partitions.find((p) => p.partition === partition)!.leader!;
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
 */
export async function committedProbe(groupID: string, timeoutMs = 3_000) {
  const consumer = new kafkaNative.KafkaConsumer(
    { "bootstrap.servers": bootstrap, "group.id": groupID, "enable.auto.commit": false, "socket.timeout.ms": timeoutMs },
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
