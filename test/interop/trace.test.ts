// W3C trace context across the move: a trace started in a Go service continues in a Consumer Server
// handler, and a trace started in TypeScript reaches a Go reader.
import { context, ROOT_CONTEXT, trace, TraceFlags } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { componentsClosedAfterEach } from "../e2e/support/component.js";
import { AsyncLocalStorageContextManager } from "../e2e/support/context-manager.js";
import { uniqueName } from "../e2e/support/env.js";
import { createTopic } from "../e2e/support/raw.js";
import { buildKgo, runKgo } from "./support/kgo.js";
import { e2eConfig } from "../e2e/support/component.js";
import { scenarioToml } from "../e2e/support/scenario.js";
import { startServer } from "../e2e/support/server.js";
import { until } from "../e2e/support/wait.js";

const components = componentsClosedAfterEach();
let kgo: string;

beforeAll(async () => {
  expect(context.setGlobalContextManager(new AsyncLocalStorageContextManager())).toBe(true);
  kgo = await buildKgo();
}, 180_000);

afterAll(() => {
  context.disable();
});

describe("W3C trace context between Go and TypeScript", () => {
  it("a trace started in Go (traceparent header) is the active context in the Consumer Server handler", async () => {
    const topic = uniqueName("interop-trace-go");
    await createTopic(topic, 3, 3);
    const [written] = await runKgo(kgo, ["traced", "-topic", topic, "-value", "from-go"]);
    const seen: Array<{ traceId?: string; spanId?: string; isRemote?: boolean }> = [];
    const server = startServer(e2eConfig(scenarioToml({ topic: topic, groupID: uniqueName("g-trace") })), () => {
      const span = trace.getSpanContext(context.active());
      seen.push({ traceId: span?.traceId, spanId: span?.spanId, isRemote: span?.isRemote });
    });
    try {
      await until(() => seen.length === 1, 60_000, "the message written by Go");
    } finally {
      await server.stop();
    }
    expect(server.messages()[0]!.valueString()).toBe("from-go");
    expect(seen[0]).toEqual({ traceId: written!.traceId, spanId: written!.spanId, isRemote: true });
  });

  it("a trace active around writeMessages reaches kafka-go as the message's traceparent", async () => {
    const topic = uniqueName("interop-trace-ts");
    await createTopic(topic, 3, 3);
    const kafka = components.build(`
[kafka.producers.p1]
topic = "${topic}"
`);
    const span = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED };
    await context.with(trace.setSpanContext(ROOT_CONTEXT, span), () => kafka.producer("p1").writeMessages({ value: "from-ts" }));
    const [read] = (await runKgo(kgo, ["consume", "-topic", topic, "-group", uniqueName("g-trace-go"), "-count", "1"])).filter(
      (r) => r.event === "message",
    );
    expect(read!.value).toBe("from-ts");
    expect(read!.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`);
  });
});
