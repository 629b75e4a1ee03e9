import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/index.js";

describe("Backoff", () => {
  it("grows about exponentially, with jitter, never past the maximum", () => {
    const runs = Array.from({ length: 300 }, () => {
      const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
      return Array.from({ length: 8 }, () => backoff.next());
    });
    const median = (step: number) => runs.map((run) => run[step]!).sort((a, b) => a - b)[150]!;
    expect(median(0)).toBeGreaterThan(50);
    expect(median(0)).toBeLessThan(150);
    // Decorrelated jitter grows in expectation, not step by step: four steps on, the median is several times
    // the first (7.5× at the least over 500 trials of 300 runs; two steps on it was below 2× in 3 of them).
    expect(median(4)).toBeGreaterThan(median(0) * 3);
    expect(Math.max(...runs.flat())).toBeLessThanOrEqual(1000);
    expect(Math.min(...runs.flat())).toBeGreaterThanOrEqual(0);
    expect(new Set(runs.map((run) => run[1])).size).toBeGreaterThan(20);
  });

  it("starts over after reset() and counts its steps", () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 100_000, multiplier: 10 });
    for (let i = 0; i < 5; i++) backoff.next();
    expect(backoff.steps).toBe(5);
    backoff.reset();
    expect(backoff.steps).toBe(0);
    expect(backoff.next()).toBeLessThan(1000);
  });

  it("waits a constant time with multiplier 1", () => {
    const backoff = new Backoff({ initialMs: 250, maxMs: 1000, multiplier: 1 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([250, 250, 250]);
  });

  it("rejects bad options, naming them", () => {
    expect(() => new Backoff({ initialMs: -1, maxMs: 10 })).toThrow(/initialMs must be a number of ms of at least 0, found -1/);
    expect(() => new Backoff({ initialMs: 1, maxMs: Number.NaN })).toThrow(/maxMs/);
    expect(() => new Backoff({ initialMs: 1, maxMs: 10, multiplier: 0.5 })).toThrow(/multiplier must be a number of at least 1/);
  });
});
