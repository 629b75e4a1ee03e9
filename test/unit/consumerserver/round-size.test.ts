import { describe, expect, it } from "vitest";
import { RoundSize } from "../../../consumerserver/round-size.js";

describe("RoundSize", () => {
  it("takes one message while the handler's pace is unknown", () => {
    expect(new RoundSize(500, 500).next).toBe(1);
  });

  it("takes the most a poll may for a handler faster than the target allows to count", () => {
    const round = new RoundSize(500, 500);
    round.record(1, 0.05);
    expect(round.next).toBe(500);
    round.record(500, 0);
    expect(round.next).toBe(500);
  });

  it("takes as many as fit in the target at the handler's pace", () => {
    const round = new RoundSize(500, 500);
    round.record(1, 20); // 20 ms a message
    expect(round.next).toBe(25);
  });

  it("takes one message when one takes longer than the target", () => {
    const round = new RoundSize(500, 500);
    round.record(1, 3_000);
    expect(round.next).toBe(1);
  });

  it("moves halfway to the newest round's pace: a handler that slows down shrinks the next round at once", () => {
    const round = new RoundSize(500, 500);
    round.record(500, 100); // 0.2 ms a message
    expect(round.next).toBe(500);
    round.record(500, 20_000); // 40 ms a message: smoothed to 20.1 ms
    expect(round.next).toBe(24);
  });

  it("ignores a round that handled nothing", () => {
    const round = new RoundSize(500, 500);
    round.record(0, 1_000);
    expect(round.next).toBe(1);
  });
});
