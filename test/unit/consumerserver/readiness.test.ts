import { describe, expect, it } from "vitest";
import { ReadinessTracker, type ReadinessInput } from "../../../consumerserver/readiness.js";
import type { ClientStatistics } from "../../../src/statistics.js";

function statistics(brokersUp: number, joinState = "steady", state = "up"): ClientStatistics {
  return {
    receivedAt: 0,
    type: "consumer",
    clientName: "c",
    brokers: [],
    brokersUp,
    queuedMessages: 0,
    queuedBytes: 0,
    group: { state, joinState, rebalanceAgeMs: 0, rebalances: 1, assignedPartitions: 3 },
    partitions: [],
  };
}

const input = (now: number, stats: ClientStatistics | undefined, more: Partial<ReadinessInput> = {}): ReadinessInput => ({
  phase: "running",
  statistics: stats,
  inGroup: true,
  statisticsOn: true,
  now,
  ...more,
});

describe("ReadinessTracker", () => {
  it("is not ready before the server runs, nor before its first statistics", () => {
    const tracker = new ReadinessTracker(10_000);
    expect(tracker.judge(input(0, statistics(3), { phase: "new" }))).toEqual({ ready: false, reason: "not started" });
    expect(tracker.judge(input(0, undefined)).ready).toBe(false);
  });

  it("is not ready while joining, ready once the group state is up and steady", () => {
    const tracker = new ReadinessTracker(10_000);
    const joining = tracker.judge(input(0, statistics(3, "wait-join", "up")));
    expect(joining.ready).toBe(false);
    expect(joining.reason).toContain("joining the group");
    expect(tracker.judge(input(1, statistics(3))).ready).toBe(true);
  });

  it("stays ready through a short loss of every broker and turns not ready after the grace, then ready again", () => {
    const tracker = new ReadinessTracker(10_000, 5_000);
    expect(tracker.judge(input(0, statistics(3))).ready).toBe(true);
    expect(tracker.judge(input(1_000, statistics(0, "wait-join", "query-coord"))).ready).toBe(true);
    const down = tracker.judge(input(6_001, statistics(0, "wait-join", "query-coord")));
    expect(down).toEqual({ ready: false, reason: "no broker reachable (for 5 s)" });
    expect(tracker.judge(input(7_000, statistics(3))).ready).toBe(true);
  });

  it("turns not ready when a rebalance takes longer than the rebalance timeout", () => {
    const tracker = new ReadinessTracker(10_000);
    tracker.judge(input(0, statistics(3)));
    expect(tracker.judge(input(1_000, statistics(3, "wait-sync"))).ready).toBe(true);
    const long = tracker.judge(input(11_001, statistics(3, "wait-sync")));
    expect(long.ready).toBe(false);
    expect(long.reason).toContain("longer than the rebalance timeout");
  });

  it("judges a partition reader by its brokers only, and without statistics by its phase", () => {
    expect(new ReadinessTracker(10_000).judge(input(0, statistics(1, "init", "init"), { inGroup: false })).ready).toBe(true);
    expect(new ReadinessTracker(10_000).judge(input(0, undefined, { statisticsOn: false })).ready).toBe(true);
    expect(new ReadinessTracker(10_000).judge(input(0, undefined, { statisticsOn: false, phase: "stopping" })).ready).toBe(false);
  });
});
