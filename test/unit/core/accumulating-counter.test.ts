import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { accumulatingCounter, counterSeries } from "../../../src/core/accumulating-counter.js";

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
