import { Counter, Gauge, register, type Registry } from "prom-client";
import type { ClientStatistics } from "./statistics.js";

/** Names of the metrics filled from librdkafka's statistics. */
export const STATISTICS_METRICS = Object.freeze({
  /** Gauge (client, group, topic, partition): messages after the group's committed offset (high watermark - committed). */
  lag: "ekafka_consumer_lag",
  /** Gauge (client, group, topic, partition): the group's committed offset. */
  committedOffset: "ekafka_consumer_committed_offset",
  /** Gauge (client, group, topic, partition): the partition's high watermark, the offset of the next message written. */
  highWatermark: "ekafka_consumer_high_watermark_offset",
  /** Counter (client, group): rebalances (assignments and revocations) the member took part in. */
  rebalances: "ekafka_consumer_rebalances_total",
  /** Gauge (client, group): partitions assigned to the member now. */
  assignedPartitions: "ekafka_consumer_assigned_partitions",
  /** Gauge (client): brokers the client has a connection up to. */
  brokersUp: "ekafka_client_brokers_up",
  /** Gauge (client): messages in the producer's queues, waiting to be sent or acknowledged. */
  producerQueueMessages: "ekafka_producer_queue_messages",
  /** Gauge (client): bytes of the messages in the producer's queues. */
  producerQueueBytes: "ekafka_producer_queue_bytes",
});

const PARTITION_LABELS = ["client", "group", "topic", "partition"] as const;
const GROUP_LABELS = ["client", "group"] as const;
const CLIENT_LABELS = ["client"] as const;

type PartitionLabels = Record<(typeof PARTITION_LABELS)[number], string>;

interface Metrics {
  lag: Gauge<(typeof PARTITION_LABELS)[number]>;
  committedOffset: Gauge<(typeof PARTITION_LABELS)[number]>;
  highWatermark: Gauge<(typeof PARTITION_LABELS)[number]>;
  rebalances: Counter<(typeof GROUP_LABELS)[number]>;
  assignedPartitions: Gauge<(typeof GROUP_LABELS)[number]>;
  brokersUp: Gauge<(typeof CLIENT_LABELS)[number]>;
  queueMessages: Gauge<(typeof CLIENT_LABELS)[number]>;
  queueBytes: Gauge<(typeof CLIENT_LABELS)[number]>;
}

function reuseOr<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

function metricsIn(registry: Registry): Metrics {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    reuseOr(registry, name, () => new Gauge<L>({ name, help, labelNames, registers: [registry] }));
  return {
    lag: gauge(
      STATISTICS_METRICS.lag,
      "Messages of the partition after the group's committed offset (high watermark - committed offset).",
      PARTITION_LABELS,
    ),
    committedOffset: gauge(STATISTICS_METRICS.committedOffset, "The group's committed offset of the partition.", PARTITION_LABELS),
    highWatermark: gauge(
      STATISTICS_METRICS.highWatermark,
      "The partition's high watermark (the offset of the next message written).",
      PARTITION_LABELS,
    ),
    rebalances: reuseOr(
      registry,
      STATISTICS_METRICS.rebalances,
      () =>
        new Counter({
          name: STATISTICS_METRICS.rebalances,
          help: "Rebalances (assignments and revocations) the member took part in.",
          labelNames: GROUP_LABELS,
          registers: [registry],
        }),
    ),
    assignedPartitions: gauge(STATISTICS_METRICS.assignedPartitions, "Partitions assigned to the member now.", GROUP_LABELS),
    brokersUp: gauge(STATISTICS_METRICS.brokersUp, "Brokers the client has a connection up to.", CLIENT_LABELS),
    queueMessages: gauge(
      STATISTICS_METRICS.producerQueueMessages,
      "Messages in the producer's queues, waiting to be sent or acknowledged.",
      CLIENT_LABELS,
    ),
    queueBytes: gauge(STATISTICS_METRICS.producerQueueBytes, "Bytes of the messages in the producer's queues.", CLIENT_LABELS),
  };
}

/**
 * Keeps one client's statistics metrics: sets them from each statistics document, and removes the
 * series of partitions it no longer reads (and all of its series when the client closes), so a
 * partition that moved to another member is not reported twice.
 */
export class StatisticsMetrics {
  readonly #metrics: Metrics;
  #partitionSeries: PartitionLabels[] = [];
  #rebalancesSeen = 0;

  /**
   * @param client the client's config key (`kafka.consumerGroups.g1`), the `client` label
   * @param group the consumer group id, "" for producers and partition readers
   */
  constructor(
    private readonly client: string,
    private readonly group: string,
    registry: Registry = register,
  ) {
    this.#metrics = metricsIn(registry);
  }

  update(statistics: ClientStatistics): void {
    const client = this.client;
    this.#metrics.brokersUp.set({ client }, statistics.brokersUp);
    if (statistics.type === "producer") {
      this.#metrics.queueMessages.set({ client }, statistics.queuedMessages);
      this.#metrics.queueBytes.set({ client }, statistics.queuedBytes);
      return;
    }
    const groupLabels = { client, group: this.group };
    if (statistics.group !== undefined) {
      this.#metrics.assignedPartitions.set(groupLabels, statistics.group.assignedPartitions);
      // librdkafka counts from the client's start; the counter takes the increase since the last document.
      const increase = statistics.group.rebalances - this.#rebalancesSeen;
      if (increase > 0) this.#metrics.rebalances.inc(groupLabels, increase);
      else this.#metrics.rebalances.inc(groupLabels, 0); // the series exists from the first document
      this.#rebalancesSeen = statistics.group.rebalances;
    }
    const series: PartitionLabels[] = [];
    for (const p of statistics.partitions) {
      const labels = { ...groupLabels, topic: p.topic, partition: String(p.partition) };
      series.push(labels);
      setOrRemove(this.#metrics.lag, labels, p.lag);
      setOrRemove(this.#metrics.committedOffset, labels, p.committedOffset);
      setOrRemove(this.#metrics.highWatermark, labels, p.highWatermark);
    }
    const current = new Set(series.map(seriesKey));
    for (const old of this.#partitionSeries) if (!current.has(seriesKey(old))) this.#removePartition(old);
    this.#partitionSeries = series;
  }

  /** Removes every series of the client (it closed). */
  remove(): void {
    const client = this.client;
    for (const labels of this.#partitionSeries) this.#removePartition(labels);
    this.#partitionSeries = [];
    this.#metrics.brokersUp.remove({ client });
    this.#metrics.queueMessages.remove({ client });
    this.#metrics.queueBytes.remove({ client });
    this.#metrics.assignedPartitions.remove({ client, group: this.group });
  }

  #removePartition(labels: PartitionLabels): void {
    this.#metrics.lag.remove(labels);
    this.#metrics.committedOffset.remove(labels);
    this.#metrics.highWatermark.remove(labels);
  }
}

// Unknown (-1) is no value: the series is left out rather than reporting -1 as a lag or offset.
function setOrRemove(gauge: Gauge<(typeof PARTITION_LABELS)[number]>, labels: PartitionLabels, value: number): void {
  if (value >= 0) gauge.set(labels, value);
  else gauge.remove(labels);
}

function seriesKey(labels: PartitionLabels): string {
  return `${labels.topic}\u0000${labels.partition}`;
}
