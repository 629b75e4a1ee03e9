import { describe, expect, it } from "vitest";
import { laneOf, partitionOfLane, topicOfLane } from "../../../consumerserver/partition-pauses.js";

describe("lane names", () => {
  it("names a partition's lane topic/partition, the same for every message of it, apart for every partition", () => {
    // laneOf keeps the names it made: asking again, in any order, gives the same name back.
    const partitions = [
      { topic: "orders", partition: 0 },
      { topic: "orders", partition: 11 },
      { topic: "orders.retry-1", partition: 0 },
      { topic: "o", partition: 10 },
      { topic: "o1", partition: 0 },
    ];
    const first = partitions.map(laneOf);
    expect(first).toEqual(["orders/0", "orders/11", "orders.retry-1/0", "o/10", "o1/0"]);
    expect([...partitions].reverse().map(laneOf)).toEqual([...first].reverse());
    expect(laneOf({ topic: "orders", partition: 1 })).toBe("orders/1"); // a gap in the partitions seen so far
  });

  it("finds the partition and topic of key and message lanes", () => {
    expect(partitionOfLane("orders/3#k/1@x")).toBe("orders/3");
    expect(partitionOfLane("orders/3@42")).toBe("orders/3");
    expect(partitionOfLane("orders/3")).toBe("orders/3");
    expect(topicOfLane("orders.retry-1/3#key")).toBe("orders.retry-1");
  });
});
