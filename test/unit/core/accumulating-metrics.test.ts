import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AccumulatingHistogram, accumulatingCounter, counterSeries } from "../../../src/core/accumulating-metrics.js";

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

const CONFIG = { name: "calls_total", help: "Calls.", labelNames: ["op", "result"] as const };

describe("accumulatingCounter", () => {
  it("exports what prom-client's Counter exports for the same counts, the same labels sharing one series", async () => {
    const theirs = new Registry();
    const plain = new Counter({ ...CONFIG, registers: [theirs] });
    const ours = new Registry();
    const accumulating = accumulatingCounter({ ...CONFIG, registers: [ours] });
    const first = counterSeries(accumulating, { op: "Poll", result: "ok" });
    const sameLabelsOtherOrder = counterSeries(accumulating, { result: "ok", op: "Poll" });
    const failures = counterSeries(accumulating, { op: "Poll", result: "error" });
    counterSeries(accumulating, { op: "Commit", result: "ok" }); // asked for, never counted: no series, as prom-client
    expect(sameLabelsOtherOrder).toBe(first);
    for (let i = 0; i < 5; i++) {
      first.pending++;
      plain.inc({ op: "Poll", result: "ok" });
    }
    failures.pending += 2;
    plain.inc({ op: "Poll", result: "error" }, 2);

    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getSingleMetricAsString("calls_total")).toContain('calls_total{op="Poll",result="ok"} 5');
  });

  it("hands each count over once, and a reset drops what was counted before it", async () => {
    const registry = new Registry();
    const counter = accumulatingCounter({ ...CONFIG, registers: [registry] });
    const series = counterSeries(counter, { op: "Poll", result: "ok" });
    series.pending += 3;
    const value = async () => (await counter.get()).values.find((v) => v.labels["op"] === "Poll")?.value;
    expect(await value()).toBe(3);
    expect(series.pending).toBe(0);
    expect(await value()).toBe(3); // read again: not added twice
    series.pending += 4;
    registry.resetMetrics();
    series.pending += 1;
    expect(await value()).toBe(1);
  });
});
