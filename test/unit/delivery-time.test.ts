import { describe, expect, it } from "vitest";
import { deliveryTime } from "../e2e/support/delivery-time.js";

describe("deliveryTime (fault proxy)", () => {
  it("delivers at once without latency", () => {
    expect(deliveryTime(1_000, 0, 0)).toBe(1_000);
  });

  it("adds the latency", () => {
    expect(deliveryTime(1_000, 300, 0)).toBe(1_300);
  });

  it("keeps the order when the latency drops: a later chunk waits for the one before", () => {
    const first = deliveryTime(1_000, 300, 0);
    expect(deliveryTime(1_010, 0, first)).toBe(1_300);
  });

  it("treats a negative latency as none", () => {
    expect(deliveryTime(1_000, -50, 0)).toBe(1_000);
  });
});
