// The interceptor chains against the real cluster: the debug line on stderr, the pino access log,
// Prometheus metrics, W3C trace context carried in headers, and user interceptors.
import { Writable } from "node:stream";
import { ROOT_CONTEXT, context, trace, TraceFlags, type SpanContext } from "@opentelemetry/api";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  HANDLE_SECONDS,
  HANDLE_TOTAL,
  KafkaError,
  traceContextOf,
  withClientInterceptor,
  withLogger,
  withMetricsRegistry,
  withServerInterceptor,
  type CallContext,
  type Component,
  type Interceptor,
  type Message,
  type Option,
} from "ekafka";
import { buildComponent } from "./support/component.js";
import { AsyncLocalStorageContextManager } from "./support/context-manager.js";
import { brokers, uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";

const components: Component[] = [];
afterAll(async () => {
  await Promise.all(components.map((c) => c.close().catch(() => undefined)));
});

/** A fresh 1-partition topic with producer p1 and partition consumer c1 on it. */
async function setup(kafkaLines: string, ...options: Option[]): Promise<{ kafka: Component; topic: string }> {
  const topic = uniqueName("interceptors");
  await createTopic(topic, 1, 3);
  const kafka = buildComponent(
    `${kafkaLines}
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"

[kafka.consumers.c1]
topic = "${topic}"
partition = 0
startOffset = -2
maxWait = "100ms"
`,
    ...options,
  );
  components.push(kafka);
  return { kafka, topic };
}

/** Reads `count` messages with consumer c1. */
async function readAll(kafka: Component, count: number): Promise<Message[]> {
  const read: Message[] = [];
  for (let i = 0; i < count; i++) read.push(await kafka.consumer("c1").readMessage({ timeoutMs: 15_000 }));
  return read;
}

/** A pino logger whose lines are collected, parsed. */
function capturingLogger(lines: Array<Record<string, unknown>>) {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: "info" }, stream);
}

describe("debug = true", () => {
  it("writes one readable line per call to stderr: time, component, key, brokers, cost, operation, request, result", async () => {
    const { kafka, topic } = await setup(`debug = true\nenableMetricInterceptor = false`);
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    });
    try {
      await kafka.producer("p1").writeMessages({ key: "debug-key", value: "debug-value" });
      await kafka.producer("p1").writeMessages({ key: "k2", value: "second" }, { key: "k3", value: "third" });
      await readAll(kafka, 1);
    } finally {
      spy.mockRestore();
    }
    const lines = stderr
      .join("")
      .split("\n")
      .filter((l) => l !== "");
    const writes = lines.filter((l) => l.includes(" WriteMessages "));
    expect(writes).toHaveLength(2);
    const [first, second] = writes as [string, string];
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    expect(first).toContain("[ekafka]");
    expect(first).toContain(" kafka.producers.p1 ");
    expect(first).toContain(` ${brokers.join(",")} `);
    expect(first).toMatch(/\[\d+\.\d{3}ms\] WriteMessages \| /);
    expect(first).toContain(`1 msg [{${topic}/`);
    expect(first).toContain('key="debug-key" value="debug-value"');
    expect(first).toMatch(/=> ok$/);
    expect(second).toContain("2 msgs");
    // a read prints what it read as the result
    const reads = lines.filter((l) => l.includes(" ReadMessage "));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toContain(" kafka.consumers.c1 ");
    expect(reads[0]).toMatch(/=> 1 msg \[\{.*value="debug-value"/);
  });

  it("shows the error of a failed call", async () => {
    const { kafka, topic } = await setup(`debug = true\nenableMetricInterceptor = false`);
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    });
    try {
      await expect(kafka.producer("p1").writeMessages({ value: "nowhere", partition: 7 })).rejects.toThrow();
    } finally {
      spy.mockRestore();
    }
    const line = stderr
      .join("")
      .split("\n")
      .find((l) => l.includes(" WriteMessages "));
    expect(line).toBeDefined();
    expect(line).toContain(`${topic}/7`);
    expect(line).toMatch(/=> ERROR KafkaError: kafka\.producers\.p1: /);
  });
});

describe("the access log (enableAccessInterceptor)", () => {
  it("logs one pino line per call with operation, cost, and the request and response payloads", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { kafka, topic } = await setup(
      `enableAccessInterceptor = true\nenableAccessInterceptorReq = true\nenableAccessInterceptorRes = true\nenableMetricInterceptor = false`,
      withLogger(capturingLogger(lines)),
    );
    await kafka.producer("p1").writeMessages({ key: "access-key", value: "access-payload", headers: { h: "v" } });
    await readAll(kafka, 1);

    const access = lines.filter((l) => l["msg"] === "access");
    const write = access.find((l) => l["operation"] === "WriteMessages");
    expect(write).toMatchObject({
      level: 30,
      key: "kafka.producers.p1",
      name: "p1",
      type: "producer",
      topic,
      brokers: brokers.join(","),
      count: 1,
      req: { messages: [{ topic, key: "access-key", value: "access-payload", headers: { h: "v" } }] },
    });
    expect(write!["cost"]).toBeTypeOf("number");
    expect(write!["cost"] as number).toBeGreaterThan(0);

    const read = access.find((l) => l["operation"] === "ReadMessage");
    expect(read).toMatchObject({
      key: "kafka.consumers.c1",
      type: "consumer",
      count: 1,
      res: { messages: [{ topic, partition: 0, offset: 0, key: "access-key", value: "access-payload" }] },
    });
    expect(read).not.toHaveProperty("req");
  });

  it("leaves the payloads out unless Req/Res are enabled, and logs failures at error level", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const { kafka } = await setup(`enableAccessInterceptor = true\nenableMetricInterceptor = false`, withLogger(capturingLogger(lines)));
    await kafka.producer("p1").writeMessages({ value: "quiet-payload" });
    await expect(kafka.producer("p1").writeMessages({ value: "fails", partition: 7 })).rejects.toThrow();
    const access = lines.filter((l) => l["msg"] === "access" && l["operation"] === "WriteMessages");
    expect(access).toHaveLength(2);
    expect(access[0]).not.toHaveProperty("req");
    expect(JSON.stringify(access[0])).not.toContain("quiet-payload");
    expect(access[1]).toMatchObject({ level: 50, err: { type: "KafkaError" } });
  });
});

describe("metrics (enableMetricInterceptor)", () => {
  it("records ekafka_client_handle_seconds and ekafka_client_handle_total by operation and result", async () => {
    const registry = new Registry();
    const { kafka, topic } = await setup(`enableMetricInterceptor = true`, withMetricsRegistry(registry));
    await kafka.producer("p1").writeMessages({ value: "m1" });
    await kafka.producer("p1").writeMessages({ value: "m2" }, { value: "m3" });
    await readAll(kafka, 3);
    const failure = await kafka
      .producer("p1")
      .writeMessages({ value: "nowhere", partition: 7 })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(failure).toBeInstanceOf(KafkaError);

    const base = { name: `ekafka.${topic}`, brokers: brokers.join(",") };
    const total = (await registry.getSingleMetric(HANDLE_TOTAL)!.get()).values;
    const count = (labels: Record<string, string>) =>
      total.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
    expect(count({ ...base, type: "producer", operation: "WriteMessages", result: "ok", code: "" })).toBe(2);
    expect(count({ ...base, type: "consumer", operation: "ReadMessage", result: "ok", code: "" })).toBe(3);
    const errors = total.filter((v) => v.labels["operation"] === "WriteMessages" && v.labels["result"] === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.value).toBe(1);
    expect(errors[0]!.labels).toMatchObject({ ...base, type: "producer" });
    expect(String(errors[0]!.labels["code"])).toMatch(/^-?\d+$|^[A-Z_]+$/);
    expect(String(errors[0]!.labels["code"])).toBe(String((failure as KafkaError).code));

    // a histogram's values are its _bucket, _sum and _count samples, each named
    const seconds = (await registry.getSingleMetric(HANDLE_SECONDS)!.get()).values as Array<{
      metricName?: string;
      labels: Record<string, string | number>;
      value: number;
    }>;
    const writeCount = seconds.find(
      (v) => v.metricName === `${HANDLE_SECONDS}_count` && v.labels["operation"] === "WriteMessages" && v.labels["type"] === "producer",
    );
    // two successful writes and the failed one
    expect(writeCount?.value).toBe(3);
    expect(writeCount?.labels).toMatchObject(base);
    const writeSum = seconds.find((v) => v.metricName === `${HANDLE_SECONDS}_sum` && v.labels["operation"] === "WriteMessages");
    expect(writeSum!.value).toBeGreaterThan(0);
    expect(writeSum!.value).toBeLessThan(30);
    const readCount = seconds.find((v) => v.metricName === `${HANDLE_SECONDS}_count` && v.labels["operation"] === "ReadMessage");
    expect(readCount?.value).toBe(3);
    // the text exposition has both
    const text = await registry.metrics();
    expect(text).toContain(`${HANDLE_TOTAL}{`);
    expect(text).toContain(`${HANDLE_SECONDS}_bucket{`);
  });

  it("records nothing when enableMetricInterceptor = false", async () => {
    const registry = new Registry();
    const { kafka } = await setup(`enableMetricInterceptor = false`, withMetricsRegistry(registry));
    await kafka.producer("p1").writeMessages({ value: "unmeasured" });
    expect(registry.getSingleMetric(HANDLE_TOTAL)).toBeUndefined();
  });
});

describe("trace context (enableTraceInterceptor)", () => {
  const spanContext: SpanContext = {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: TraceFlags.SAMPLED,
    isRemote: false,
  };
  const withSpan = trace.setSpanContext(ROOT_CONTEXT, spanContext);

  it("leaves headers alone when no span is active (no context manager registered: context.with is a no-op)", async () => {
    const { kafka } = await setup(``);
    await context.with(withSpan, () => kafka.producer("p1").writeMessages({ value: "untraced", headers: { own: "1" } }));
    const [read] = await readAll(kafka, 1);
    expect(read!.headers.map((h) => h.key)).toEqual(["own"]);
    expect(read!.header("traceparent")).toBeUndefined();
    expect(trace.getSpanContext(traceContextOf(read!))).toBeUndefined();
  });

  it("injects traceparent of the active span into each message; the reader restores it", async () => {
    const manager = new AsyncLocalStorageContextManager();
    expect(context.setGlobalContextManager(manager)).toBe(true);
    try {
      const readCalls: CallContext[] = [];
      const capture: Interceptor = (next) => async (ctx, messages, cmd) => {
        if (cmd.operation === "ReadMessage") readCalls.push(ctx);
        await next(ctx, messages, cmd);
      };
      const { kafka } = await setup(``, withServerInterceptor(capture));
      await context.with(withSpan, () => kafka.producer("p1").writeMessages({ value: "traced-1" }, { value: "traced-2" }));
      // outside the span: nothing injected
      await kafka.producer("p1").writeMessages({ value: "after" });
      const read = await readAll(kafka, 3);
      for (const message of read.slice(0, 2)) {
        expect(message.header("traceparent")).toBe(`00-${spanContext.traceId}-${spanContext.spanId}-01`);
        const restored = trace.getSpanContext(traceContextOf(message, ROOT_CONTEXT));
        expect(restored).toMatchObject({
          traceId: spanContext.traceId,
          spanId: spanContext.spanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        });
      }
      expect(read[2]!.header("traceparent")).toBeUndefined();
      // each read call's context ends up carrying the trace of the message it read (set by the trace
      // interceptor once the call is done, so a user interceptor sees it only after the call)
      expect(readCalls).toHaveLength(3);
      expect(trace.getSpanContext(readCalls[0]!.otelContext ?? ROOT_CONTEXT)?.traceId).toBe(spanContext.traceId);
      expect(readCalls[2]!.otelContext).toBeUndefined();
    } finally {
      context.disable();
    }
  });

  it("is off with enableTraceInterceptor = false", async () => {
    expect(context.setGlobalContextManager(new AsyncLocalStorageContextManager())).toBe(true);
    try {
      const { kafka } = await setup(`enableTraceInterceptor = false`);
      await context.with(withSpan, () => kafka.producer("p1").writeMessages({ value: "not traced" }));
      const [read] = await readAll(kafka, 1);
      expect(read!.header("traceparent")).toBeUndefined();
    } finally {
      context.disable();
    }
  });
});

describe("user interceptors", () => {
  it("run in the order given, after the built-ins, and can change the messages written", async () => {
    const calls: string[] = [];
    const tagging =
      (name: string): Interceptor =>
      (next) =>
      async (ctx, messages, cmd) => {
        calls.push(`${name}>${cmd.operation}:${ctx.key}`);
        if (cmd.operation === "WriteMessages") for (const m of messages) m.setHeader(`x-${name}`, `${name}-was-here`);
        await next(ctx, messages, cmd);
        calls.push(`${name}<${cmd.operation}`);
      };
    const seenByServer: string[] = [];
    const server: Interceptor = (next) => async (ctx, messages, cmd) => {
      await next(ctx, messages, cmd);
      seenByServer.push(`${cmd.operation}:${messages.map((m) => m.valueString()).join(",")}`);
    };
    const { kafka } = await setup(``, withClientInterceptor(tagging("a"), tagging("b")), withServerInterceptor(server));
    await kafka.producer("p1").writeMessages({ value: "intercepted", headers: { own: "kept" } });
    expect(calls).toEqual([
      "a>WriteMessages:kafka.producers.p1",
      "b>WriteMessages:kafka.producers.p1",
      "b<WriteMessages",
      "a<WriteMessages",
    ]);
    const [read] = await readAll(kafka, 1);
    expect(read!.header("own")).toBe("kept");
    expect(read!.header("x-a")).toBe("a-was-here");
    expect(read!.header("x-b")).toBe("b-was-here");
    // client interceptors do not wrap consumer calls; server interceptors do
    expect(calls.filter((c) => c.includes("ReadMessage"))).toEqual([]);
    expect(seenByServer).toEqual(["ReadMessage:intercepted"]);
  });

  it("can fail a call: the error reaches the caller and nothing is written", async () => {
    const refuse: Interceptor = (next) => async (ctx, messages, cmd) => {
      if (messages.some((m) => m.valueString() === "forbidden")) throw new Error("refused by policy");
      await next(ctx, messages, cmd);
    };
    const { kafka } = await setup(``, withClientInterceptor(refuse));
    await expect(kafka.producer("p1").writeMessages({ value: "forbidden" })).rejects.toThrow("refused by policy");
    await kafka.producer("p1").writeMessages({ value: "allowed" });
    const [read] = await readAll(kafka, 1);
    expect(read!.valueString()).toBe("allowed");
    expect(read!.offset).toBe(0);
  });
});
