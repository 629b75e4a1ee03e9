import { describe, expect, it } from "vitest";
import { parseStatistics, totalLag } from "../../src/statistics.js";

// The shape of librdkafka's statistics (STATISTICS.md), trimmed to the fields read plus a few neighbours.
const consumerDocument = {
  name: "rdkafka#consumer-1",
  type: "consumer",
  msg_cnt: 0,
  msg_size: 0,
  brokers: {
    "127.0.0.1:9091/bootstrap": { name: "127.0.0.1:9091/bootstrap", nodeid: -1, state: "INIT", source: "configured" },
    "127.0.0.1:9092/2": { name: "127.0.0.1:9092/2", nodeid: 2, state: "UP", source: "learned" },
    "127.0.0.1:9093/3": { name: "127.0.0.1:9093/3", nodeid: 3, state: "TRY_CONNECT", source: "learned" },
    GroupCoordinator: { name: "GroupCoordinator", nodeid: -1, state: "UP", source: "logical" },
  },
  topics: {
    orders: {
      topic: "orders",
      partitions: {
        "0": {
          partition: 0,
          desired: true,
          committed_offset: 90,
          stored_offset: 95,
          hi_offset: 100,
          consumer_lag: 10,
          consumer_lag_stored: 5,
        },
        "1": {
          partition: 1,
          desired: true,
          committed_offset: -1001,
          stored_offset: -1001,
          hi_offset: 7,
          consumer_lag: -1,
          consumer_lag_stored: -1,
        },
        "2": { partition: 2, desired: false, committed_offset: -1001, hi_offset: 50, consumer_lag: -1 },
        "-1": { partition: -1, desired: false, committed_offset: -1001, hi_offset: -1001, consumer_lag: -1 },
      },
    },
  },
  cgrp: {
    state: "up",
    stateage: 9000,
    join_state: "steady",
    rebalance_age: 8000,
    rebalance_cnt: 2,
    rebalance_reason: "",
    assignment_size: 2,
  },
};

describe("parseStatistics", () => {
  it("reduces a consumer's document to brokers, group and the assigned partitions' offsets and lag", () => {
    const statistics = parseStatistics({ message: JSON.stringify(consumerDocument) }, 1234);
    expect(statistics).toMatchObject({ receivedAt: 1234, type: "consumer", clientName: "rdkafka#consumer-1", brokersUp: 1 });
    expect(statistics.group).toEqual({ state: "up", joinState: "steady", rebalanceAgeMs: 8000, rebalances: 2, assignedPartitions: 2 });
    expect(statistics.partitions).toEqual([
      { topic: "orders", partition: 0, committedOffset: 90, storedOffset: 95, highWatermark: 100, lag: 10, lagStored: 5 },
      { topic: "orders", partition: 1, committedOffset: -1, storedOffset: -1, highWatermark: 7, lag: -1, lagStored: -1 },
    ]);
    expect(totalLag(statistics.partitions)).toBe(10);
    expect(totalLag(statistics.partitions, "lagStored")).toBe(5);
  });

  it("counts no broker up when only the logical coordinator connection is", () => {
    const document = {
      ...consumerDocument,
      brokers: {
        GroupCoordinator: { name: "GroupCoordinator", nodeid: -1, state: "UP", source: "logical" },
        b: { nodeid: 1, state: "DOWN", source: "learned" },
      },
    };
    expect(parseStatistics(JSON.stringify(document)).brokersUp).toBe(0);
  });

  it("reads a producer's queue and no partitions", () => {
    const statistics = parseStatistics(
      JSON.stringify({
        type: "producer",
        name: "rdkafka#producer-1",
        msg_cnt: 12,
        msg_size: 3400,
        brokers: {},
        topics: consumerDocument.topics,
      }),
    );
    expect(statistics).toMatchObject({ type: "producer", queuedMessages: 12, queuedBytes: 3400, partitions: [] });
    expect(statistics.group).toBeUndefined();
  });

  it("gives -1 as the total lag when no partition's lag is known", () => {
    expect(totalLag([])).toBe(-1);
  });

  it("rejects text that is not JSON", () => {
    expect(() => parseStatistics("{not json")).toThrow(SyntaxError);
  });
});
