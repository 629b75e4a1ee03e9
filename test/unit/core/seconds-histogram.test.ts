import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AccumulatingHistogram } from "../../../src/core/seconds-histogram.js";

const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0.0005, 0.001, 0.002, 0.05, 0.5, 1, 7, 30];

describe("AccumulatingHistogram", () => {
  it("exports what prom-client's Histogram exports for the same observations, and resets to zero", async () => {
    const theirs = new Registry();
    const histogram = new Histogram({
      name: "h_seconds",
      help: "Handler time.",
      labelNames: ["server", "topic"],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const ours = new Registry();
    const accumulating = new AccumulatingHistogram("h_seconds", "Handler time.", ["server", "topic"], BUCKETS, ours);
    for (const [topic, values] of [
      ["a", VALUES],
      ["b", VALUES.slice(3)],
    ] as const) {
      const series = accumulating.series({ server: "s1", topic });
      expect(accumulating.series({ topic, server: "s1" })).toBe(series);
      for (const value of values) {
        histogram.observe({ server: "s1", topic }, value);
        series.observe(value);
      }
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());

    ours.resetMetrics();
    expect(await ours.getSingleMetricAsString("h_seconds")).toContain('h_seconds_count{server="s1",topic="a"} 0');
  });
});
