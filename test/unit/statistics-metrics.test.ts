import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { ClientStatistics, PartitionStatistics } from "../../src/statistics.js";
import { StatisticsMetrics } from "../../src/statistics-metrics.js";

const partition = (id: number, lag: number, committedOffset = 10): PartitionStatistics => ({
  topic: "orders",
  partition: id,
  committedOffset,
  storedOffset: committedOffset,
  highWatermark: committedOffset + Math.max(lag, 0),
  lag,
  lagStored: lag,
});

const consumer = (rebalances: number, ...partitions: PartitionStatistics[]): ClientStatistics => ({
  receivedAt: 0,
  type: "consumer",
  clientName: "c",
  brokers: [],
  brokersUp: 3,
  queuedMessages: 0,
  queuedBytes: 0,
  group: { state: "up", joinState: "steady", rebalanceAgeMs: 0, rebalances, assignedPartitions: partitions.length },
  partitions,
});

async function lagSeries(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("ekafka_consumer_lag")!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.partition), v.value]));
}

describe("StatisticsMetrics", () => {
  it("sets lag per assigned partition, leaves out unknown lag, and drops partitions no longer assigned", async () => {
    const registry = new Registry();
    const metrics = new StatisticsMetrics("kafka.consumerGroups.cg", "orders-group", registry);
    metrics.update(consumer(1, partition(0, 5), partition(1, -1), partition(2, 0)));
    expect(await lagSeries(registry)).toEqual({ "0": 5, "2": 0 });
    metrics.update(consumer(3, partition(0, 0)));
    expect(await lagSeries(registry)).toEqual({ "0": 0 });
    const rebalances = await registry.getSingleMetric("ekafka_consumer_rebalances_total")!.get();
    expect(rebalances.values[0]).toMatchObject({ value: 3, labels: { client: "kafka.consumerGroups.cg", group: "orders-group" } });
    metrics.remove();
    expect(await lagSeries(registry)).toEqual({});
  });

  it("reports a producer's queue and brokers up", async () => {
    const registry = new Registry();
    new StatisticsMetrics("kafka.producers.p", "", registry).update({
      ...consumer(0),
      type: "producer",
      queuedMessages: 7,
      queuedBytes: 700,
      partitions: [],
    });
    expect(await registry.getSingleMetricAsString("ekafka_producer_queue_messages")).toContain(
      'ekafka_producer_queue_messages{client="kafka.producers.p"} 7',
    );
    expect(await registry.getSingleMetricAsString("ekafka_client_brokers_up")).toContain(
      'ekafka_client_brokers_up{client="kafka.producers.p"} 3',
    );
  });
});
