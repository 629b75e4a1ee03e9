// librdkafka's statistics (emitted every `statistics.interval.ms` as one JSON document per client, see
// librdkafka's STATISTICS.md) reduced to the figures ekafka reports: broker connectivity, the producer
// queue, the consumer group's state and each assigned partition's offsets and lag.

/** One broker connection as librdkafka last saw it. */
export interface BrokerStatistics {
  /** librdkafka's name for it, e.g. `127.0.0.1:9091/1`. */
  name: string;
  /** The broker id; -1 for a bootstrap or logical (coordinator) connection. */
  nodeId: number;
  /** `UP`, `DOWN`, `INIT`, `CONNECT`, `AUTH`, `TRY_CONNECT`, … */
  state: string;
  /** `configured` (bootstrap), `learned` (from metadata) or `logical` (e.g. the group coordinator). */
  source: string;
}

/** A consumer's group membership (librdkafka's `cgrp` object). */
export interface GroupStatistics {
  /** librdkafka's coordinator state; `up` once the coordinator is known and connected. */
  state: string;
  /** `steady` while the member holds its assignment; `wait-join`, `wait-sync`, … while rebalancing. */
  joinState: string;
  /** Milliseconds since the last rebalance. */
  rebalanceAgeMs: number;
  /** Rebalances (assigns and revokes) since the client started. */
  rebalances: number;
  /** Partitions assigned to this member now. */
  assignedPartitions: number;
}

/** Offsets and lag of one partition a consumer reads. Offsets are -1 when unknown. */
export interface PartitionStatistics {
  /** The topic the partition belongs to. */
  topic: string;
  /** The partition's id within the topic. */
  partition: number;
  /** Offset last committed for the group. */
  committedOffset: number;
  /** Offset the application stored (handled) and that the next commit will commit. */
  storedOffset: number;
  /** The partition's high watermark: the offset the next message written gets. */
  highWatermark: number;
  /** highWatermark - committedOffset (the figure Kafka's own tools call lag); -1 when unknown. */
  lag: number;
  /** highWatermark - storedOffset: lag counting messages handled but not committed yet; -1 when unknown. */
  lagStored: number;
}

/** One statistics document of one client, reduced. */
export interface ClientStatistics {
  /** When it was received (ms since the epoch). */
  receivedAt: number;
  /** `producer` or `consumer`. */
  type: string;
  /** librdkafka's client name, e.g. `rdkafka#consumer-3`. */
  clientName: string;
  /** Every broker the client knows: the bootstrap ones and those learned from metadata. */
  brokers: BrokerStatistics[];
  /** Brokers (bootstrap or learned, not logical) with a connection up. */
  brokersUp: number;
  /** Messages waiting in the producer's queues (sent but not yet acknowledged included). */
  queuedMessages: number;
  /** Bytes of those messages. */
  queuedBytes: number;
  /** Set for a consumer in a group. */
  group?: GroupStatistics;
  /** The partitions a consumer is assigned (librdkafka's `desired` ones). */
  partitions: PartitionStatistics[];
}

type Json = Record<string, unknown>;

const numberOr = (value: unknown, fallback: number): number => (typeof value === "number" && Number.isFinite(value) ? value : fallback);
const stringOr = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);
const objectOf = (value: unknown): Json => (typeof value === "object" && value !== null ? (value as Json) : {});

/**
 * Reduces one statistics event as the native client emits it (the JSON text, or an object holding it in
 * `message`).
 * @throws SyntaxError when the text is not JSON
 */
export function parseStatistics(event: unknown, receivedAt = Date.now()): ClientStatistics {
  const text = typeof event === "string" ? event : stringOr(objectOf(event).message, "");
  const raw = objectOf(JSON.parse(text));
  const brokers = Object.values(objectOf(raw.brokers)).map((b) => {
    const broker = objectOf(b);
    return {
      name: stringOr(broker.name, ""),
      nodeId: numberOr(broker.nodeid, -1),
      state: stringOr(broker.state, ""),
      source: stringOr(broker.source, ""),
    };
  });
  const statistics: ClientStatistics = {
    receivedAt,
    type: stringOr(raw.type, ""),
    clientName: stringOr(raw.name, ""),
    brokers,
    brokersUp: brokers.filter((b) => b.state === "UP" && b.source !== "logical").length,
    queuedMessages: numberOr(raw.msg_cnt, 0),
    queuedBytes: numberOr(raw.msg_size, 0),
    partitions: raw.type === "consumer" ? assignedPartitions(raw.topics) : [],
  };
  const group = groupOf(raw.cgrp);
  if (group !== undefined) statistics.group = group;
  return statistics;
}

function groupOf(value: unknown): GroupStatistics | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const cgrp = value as Json;
  return {
    state: stringOr(cgrp.state, ""),
    joinState: stringOr(cgrp.join_state, ""),
    rebalanceAgeMs: numberOr(cgrp.rebalance_age, 0),
    rebalances: numberOr(cgrp.rebalance_cnt, 0),
    assignedPartitions: numberOr(cgrp.assignment_size, 0),
  };
}

// Partition -1 is librdkafka's internal "unassigned" partition; partitions not `desired` are known from
// metadata but not read by this client.
function assignedPartitions(topics: unknown): PartitionStatistics[] {
  const partitions: PartitionStatistics[] = [];
  for (const t of Object.values(objectOf(topics))) {
    const topic = objectOf(t);
    for (const p of Object.values(objectOf(topic.partitions))) {
      const partition = objectOf(p);
      const id = numberOr(partition.partition, -1);
      if (id < 0 || partition.desired !== true) continue;
      partitions.push({
        topic: stringOr(topic.topic, ""),
        partition: id,
        committedOffset: offsetOf(partition.committed_offset),
        storedOffset: offsetOf(partition.stored_offset),
        highWatermark: offsetOf(partition.hi_offset),
        lag: numberOr(partition.consumer_lag, -1),
        lagStored: numberOr(partition.consumer_lag_stored, -1),
      });
    }
  }
  return partitions;
}

// librdkafka writes its logical offsets (-1001 "invalid" and the like) where no offset is known.
function offsetOf(value: unknown): number {
  const offset = numberOr(value, -1);
  return offset < 0 ? -1 : offset;
}

/** The summed lag of the partitions whose lag is known, or -1 when none is. */
export function totalLag(partitions: readonly PartitionStatistics[], which: "lag" | "lagStored" = "lag"): number {
  const known = partitions.filter((p) => p[which] >= 0);
  return known.length === 0 ? -1 : known.reduce((sum, p) => sum + p[which], 0);
}
