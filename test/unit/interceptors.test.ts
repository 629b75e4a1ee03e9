import { Writable } from "node:stream";
import { ROOT_CONTEXT, TraceFlags, context, createTraceState, propagation, trace } from "@opentelemetry/api";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CallContext,
  type Cmd,
  type Interceptor,
  type ProcessFn,
  W3CTraceContextPropagator,
  accessInterceptor,
  chainInterceptors,
  costOf,
  debugInterceptor,
  defaultInterceptors,
  errorCode,
  metricInterceptor,
  parseTraceparent,
  timingInterceptor,
  traceContextOf,
  traceInterceptor,
} from "../../src/interceptors.js";
import { Message } from "../../src/message.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT_FORMAT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function callContext(overrides: Partial<CallContext> = {}): CallContext {
  return {
    component: "ekafka",
    key: "kafka.producers.p1",
    name: "p1",
    kind: "producer",
    brokers: ["127.0.0.1:9091", "127.0.0.1:9092"],
    topic: "orders",
    values: new Map(),
    ...overrides,
  };
}

function message(value: string, key?: string): Message {
  return new Message({
    topic: "orders",
    value: Buffer.from(value),
    key: key === undefined ? null : Buffer.from(key),
  });
}

/** Runs `fn` wrapped in `interceptors`, as a client would. */
function run(interceptors: Interceptor[], fn: ProcessFn, ctx: CallContext, messages: Message[], cmd: Cmd) {
  return chainInterceptors(interceptors)(fn)(ctx, messages, cmd);
}

const ok: ProcessFn = async () => {};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A pino logger writing JSON lines into an array. */
function capturedLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "info" }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("chainInterceptors", () => {
  function recorder(name: string, log: string[]): Interceptor {
    return (next) => async (ctx, messages, cmd) => {
      log.push(`enter ${name}`);
      messages.forEach((m) => m.setHeader("path", `${m.header("path") ?? ""}${name}`));
      await next(ctx, messages, cmd);
      log.push(`exit ${name}`);
    };
  }

  it("runs the first interceptor outermost, and each can change the messages before the call", async () => {
    const log: string[] = [];
    const seen: string[] = [];
    const msgs = [message("a"), message("b")];
    await run(
      [recorder("1", log), recorder("2", log), recorder("3", log)],
      async (_ctx, messages) => {
        log.push("call");
        seen.push(...messages.map((m) => m.header("path") ?? ""));
      },
      callContext(),
      msgs,
      { operation: "WriteMessages" },
    );
    expect(log).toEqual(["enter 1", "enter 2", "enter 3", "call", "exit 3", "exit 2", "exit 1"]);
    expect(seen).toEqual(["123", "123"]);
  });

  it("lets outer interceptors see the messages a read pushed", async () => {
    let countAfter = -1;
    const counter: Interceptor = (next) => async (ctx, messages, cmd) => {
      await next(ctx, messages, cmd);
      countAfter = messages.length;
    };
    await run([counter], async (_c, messages) => void messages.push(message("x")), callContext(), [], {
      operation: "FetchMessage",
    });
    expect(countAfter).toBe(1);
  });

  it("rethrows the same error object and records it in cmd.error at every level", async () => {
    const boom = new Error("broker down");
    const seenByOuter: unknown[] = [];
    const outer: Interceptor = (next) => async (ctx, messages, cmd) => {
      try {
        await next(ctx, messages, cmd);
      } finally {
        seenByOuter.push(cmd.error);
      }
    };
    const cmd: Cmd = { operation: "WriteMessages" };
    const failing: ProcessFn = () => {
      throw boom; // synchronous: the chain must still turn it into a rejection
    };
    await expect(run([outer, timingInterceptor()], failing, callContext(), [], cmd)).rejects.toBe(boom);
    expect(seenByOuter).toEqual([boom]);
    expect(cmd.error).toBe(boom);
  });

  it("clears cmd.error when an interceptor retries and the retry succeeds", async () => {
    let attempts = 0;
    const retry: Interceptor = (next) => async (ctx, messages, cmd) => {
      try {
        await next(ctx, messages, cmd);
      } catch {
        await next(ctx, messages, cmd);
      }
    };
    const cmd: Cmd = { operation: "WriteMessages" };
    await run(
      [retry],
      async () => {
        if (attempts++ === 0) throw new Error("transient");
      },
      callContext(),
      [],
      cmd,
    );
    expect(attempts).toBe(2);
    expect(cmd.error).toBeUndefined();
  });

  it("with no interceptors calls the function itself", async () => {
    const msgs: Message[] = [];
    await run([], async (_c, m) => void m.push(message("only")), callContext(), msgs, { operation: "ReadMessage" });
    expect(msgs.map((m) => m.valueString())).toEqual(["only"]);
  });
});

describe("timingInterceptor", () => {
  it("measures the call once, for interceptors inside it and after it ended", async () => {
    const ctx = callContext();
    let inside = -1;
    const probe: Interceptor = (next) => async (c, m, cmd) => {
      await next(c, m, cmd);
      inside = costOf(c);
    };
    await run([timingInterceptor(), probe], () => sleep(20), ctx, [], { operation: "Ping" });
    expect(inside).toBeGreaterThanOrEqual(15);
    const final = costOf(ctx);
    await sleep(10);
    expect(costOf(ctx)).toBe(final); // fixed once the call ended
    expect(final).toBeGreaterThanOrEqual(inside);
  });

  it("is 0 when no timing interceptor ran", () => {
    expect(costOf(callContext())).toBe(0);
  });
});

describe("debugInterceptor", () => {
  function debugRun(fn: ProcessFn, messages: Message[], cmd: Cmd, color = false) {
    const lines: string[] = [];
    const chain = [timingInterceptor(), debugInterceptor({ write: (l) => lines.push(l), color })];
    return { lines, done: run(chain, fn, callContext(), messages, cmd) };
  }

  it("prints one line with component, key, brokers, cost, operation, request and response", async () => {
    const { lines, done } = debugRun(() => sleep(5), [message("hello", "k1")], { operation: "WriteMessages" });
    await done;
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.endsWith("\n")).toBe(true);
    expect(line.trimEnd()).not.toContain("\n");
    expect(line).toContain("[ekafka]");
    expect(line).toContain("kafka.producers.p1");
    expect(line).toContain("127.0.0.1:9091,127.0.0.1:9092");
    expect(line).toMatch(/\[\d+\.\d{3}ms\]/);
    expect(line).toContain("WriteMessages");
    expect(line).toContain('1 msg [{orders/-1 key="k1" value="hello"}]');
    expect(line).toContain("=> ok");
    expect(line).not.toContain("\x1b[");
  });

  it("shows a read's messages as the response and truncates long values and long batches", async () => {
    const long = "x".repeat(500);
    const { lines, done } = debugRun(async (_c, m) => void m.push(message(long), message("b"), message("c"), message("d")), [], {
      operation: "FetchMessage",
    });
    await done;
    const line = lines[0]!;
    expect(line).toContain("FetchMessage | - => 4 msgs");
    expect(line).toContain("…+1 more");
    expect(line).toContain(`value="${"x".repeat(64)}…(500 bytes)"`);
    expect(line.length).toBeLessThan(400);
  });

  it("prints admin requests and Poll events", async () => {
    class AssignedPartitions {
      constructor(readonly partitions: { topic: string; partition: number }[]) {}
    }
    const { lines, done } = debugRun(
      async (_c, _m, cmd) => {
        cmd.response = new AssignedPartitions([{ topic: "orders", partition: 0 }]);
      },
      [],
      { operation: "Poll", request: { timeoutMs: 100 } },
    );
    await done;
    expect(lines[0]).toContain('{"timeoutMs":100}');
    expect(lines[0]).toContain('"type":"AssignedPartitions"');
    expect(lines[0]).toContain('"partition":0');
  });

  it("prints the error, in red when coloured, and rethrows the same error", async () => {
    const err = Object.assign(new Error("Local: Unknown topic"), { code: "ERR__UNKNOWN_TOPIC" });
    const { lines, done } = debugRun(
      async () => {
        throw err;
      },
      [message("v")],
      { operation: "WriteMessages" },
      true,
    );
    await expect(done).rejects.toBe(err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("\x1b[31mERROR Error: Local: Unknown topic (code ERR__UNKNOWN_TOPIC)\x1b[0m");
  });

  it("shows binary payloads as hex, not raw bytes", async () => {
    const bin = new Message({ topic: "t", value: Buffer.from([0x08, 0x96, 0x01, 0x1b]) });
    const { lines, done } = debugRun(ok, [bin], { operation: "WriteMessages" });
    await done;
    expect(lines[0]).toContain('value="0x0896011b"');
    expect(lines[0]).not.toContain("\x1b");
  });

  it("keeps the call's outcome when writing the line fails", async () => {
    const chain = [
      debugInterceptor({
        write: () => {
          throw new Error("EPIPE");
        },
        color: false,
      }),
    ];
    await expect(run(chain, ok, callContext(), [], { operation: "Ping" })).resolves.toBeUndefined();
    const err = new Error("real");
    await expect(run(chain, () => Promise.reject(err), callContext(), [], { operation: "Ping" })).rejects.toBe(err);
  });
});

describe("accessInterceptor", () => {
  it("logs one info line with the call's fields and no payload unless enabled", async () => {
    const { logger, lines } = capturedLogger();
    const chain = [timingInterceptor(), accessInterceptor(logger, { request: false, response: false })];
    await run(chain, ok, callContext(), [message("secret-ish payload")], { operation: "WriteMessages" });
    const logged = lines();
    expect(logged).toHaveLength(1);
    const line = logged[0]!;
    expect(line).toMatchObject({
      level: 30,
      msg: "access",
      comp: "ekafka",
      key: "kafka.producers.p1",
      operation: "WriteMessages",
      topic: "orders",
      type: "producer",
      count: 1,
    });
    expect(typeof line["cost"]).toBe("number");
    expect(line).not.toHaveProperty("req");
    expect(line).not.toHaveProperty("res");
  });

  it("logs the request messages of a write when request is enabled, values cut to 1 KiB", async () => {
    const { logger, lines } = capturedLogger();
    const big = "y".repeat(3000);
    const msgs = [message(big, "k")];
    msgs[0]!.setHeader("traceparent", `00-${TRACE_ID}-${SPAN_ID}-01`);
    await run([accessInterceptor(logger, { request: true, response: false })], ok, callContext(), msgs, {
      operation: "WriteMessages",
    });
    const req = lines()[0]!["req"] as { messages: { key: string; value: string; headers: Record<string, string> }[] };
    expect(req.messages).toHaveLength(1);
    expect(req.messages[0]!.key).toBe("k");
    expect(req.messages[0]!.value.startsWith("y".repeat(1024))).toBe(true);
    expect(req.messages[0]!.value.length).toBeLessThan(1100);
    expect(req.messages[0]!.headers["traceparent"]).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(lines()[0]).not.toHaveProperty("res");
  });

  it("logs a read's messages as the response when response is enabled", async () => {
    const { logger, lines } = capturedLogger();
    const ctx = callContext({ kind: "consumer", key: "kafka.consumers.c1", name: "c1" });
    await run(
      [accessInterceptor(logger, { request: true, response: true })],
      async (_c, m) => void m.push(new Message({ topic: "orders", partition: 2, offset: 41, value: Buffer.from("v") })),
      ctx,
      [],
      { operation: "ReadMessage" },
    );
    const line = lines()[0]!;
    expect(line).not.toHaveProperty("req");
    expect(line["res"]).toEqual({
      messages: [{ topic: "orders", partition: 2, offset: 41, key: null, value: "v" }],
    });
  });

  it("logs at error level with err on failure and rethrows the same error", async () => {
    const { logger, lines } = capturedLogger();
    const err = new Error("Broker: Not enough replicas");
    await expect(
      run([accessInterceptor(logger, { request: false, response: true })], () => Promise.reject(err), callContext(), [], {
        operation: "CreateTopics",
        request: { topics: ["t"] },
      }),
    ).rejects.toBe(err);
    const line = lines()[0]!;
    expect(line["level"]).toBe(50);
    expect(line["operation"]).toBe("CreateTopics");
    expect(line["err"]).toMatchObject({ message: "Broker: Not enough replicas", type: "Error" });
    expect(line).not.toHaveProperty("res");
  });
});

describe("metricInterceptor", () => {
  it("counts an ok call and observes its time once", async () => {
    const registry = new Registry();
    const chain = [timingInterceptor(), metricInterceptor(registry)];
    await run(chain, () => sleep(5), callContext(), [message("m")], { operation: "WriteMessages" });

    const labels = {
      type: "producer",
      name: "ekafka.orders",
      operation: "WriteMessages",
      brokers: "127.0.0.1:9091,127.0.0.1:9092",
    };
    const total = await registry.getSingleMetric("ekafka_client_handle_total")!.get();
    expect(total.values).toEqual([{ labels: { ...labels, result: "ok", code: "" }, value: 1 }]);

    const hist = await registry.getSingleMetric("ekafka_client_handle_seconds")!.get();
    const count = (hist.values as { metricName?: string; value: number; labels: object }[]).find(
      (v) => v.metricName === "ekafka_client_handle_seconds_count",
    );
    const sum = (hist.values as { metricName?: string; value: number; labels: object }[]).find(
      (v) => v.metricName === "ekafka_client_handle_seconds_sum",
    );
    expect(count).toMatchObject({ labels, value: 1 });
    expect(sum!.value).toBeGreaterThan(0.003);
    expect(sum!.value).toBeLessThan(5);
    expect(await registry.getSingleMetricAsString("ekafka_client_handle_seconds")).toContain(
      'ekafka_client_handle_seconds_count{type="producer",name="ekafka.orders",operation="WriteMessages",brokers="127.0.0.1:9091,127.0.0.1:9092"} 1',
    );
  });

  it("labels failures with result error and the error code, and rethrows the same error", async () => {
    const registry = new Registry();
    const err = Object.assign(new Error("Broker: Unknown topic or partition"), { code: 3, type: "UNKNOWN_TOPIC_OR_PARTITION" });
    await expect(
      run([timingInterceptor(), metricInterceptor(registry)], () => Promise.reject(err), callContext(), [], {
        operation: "WriteMessages",
      }),
    ).rejects.toBe(err);
    const text = await registry.getSingleMetricAsString("ekafka_client_handle_total");
    expect(text).toContain('result="error",code="UNKNOWN_TOPIC_OR_PARTITION"} 1');
    expect(text).not.toContain('result="ok"');
  });

  it("reuses the metrics already in a registry", async () => {
    const registry = new Registry();
    const a = metricInterceptor(registry);
    const b = metricInterceptor(registry); // prom-client would throw on a second registration
    await run([a], ok, callContext(), [], { operation: "Ping" });
    await run([b], ok, callContext(), [], { operation: "Ping" });
    const total = await registry.getSingleMetric("ekafka_client_handle_total")!.get();
    expect(total.values[0]!.value).toBe(2);
  });

  it("makes bounded error codes", () => {
    expect(errorCode(Object.assign(new Error("x"), { code: "ERR__TIMED_OUT" }))).toBe("ERR__TIMED_OUT");
    expect(errorCode(Object.assign(new Error("x"), { code: -185 }))).toBe("-185");
    expect(errorCode(new TypeError("offset 12 of partition 3"))).toBe("TypeError");
    expect(errorCode("just a string")).toBe("string");
  });
});

describe("traceInterceptor", () => {
  const spanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED };

  afterEach(() => propagation.disable());

  it("injects the call's span context into every written message as W3C traceparent", async () => {
    const ctx = callContext({ otelContext: trace.setSpanContext(ROOT_CONTEXT, spanContext) });
    const msgs = [message("a"), message("b")];
    await run([traceInterceptor()], ok, ctx, msgs, { operation: "WriteMessages" });
    for (const m of msgs) {
      expect(m.header("traceparent")).toMatch(TRACEPARENT_FORMAT);
      expect(m.header("traceparent")).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
      expect(m.header("tracestate")).toBeUndefined();
    }
  });

  it("carries tracestate and does it before inner interceptors see the messages", async () => {
    const withState = { ...spanContext, traceFlags: TraceFlags.NONE, traceState: createTraceState("vendor=abc,other=1") };
    const ctx = callContext({ otelContext: trace.setSpanContext(ROOT_CONTEXT, withState) });
    let seenInside: string | undefined;
    const inner: Interceptor = (next) => async (c, m, cmd) => {
      seenInside = m[0]!.header("traceparent");
      await next(c, m, cmd);
    };
    const msgs = [message("a")];
    await run([traceInterceptor(), inner], ok, ctx, msgs, { operation: "WriteMessages" });
    expect(seenInside).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
    expect(msgs[0]!.header("tracestate")).toBe("vendor=abc,other=1");
  });

  it("uses the active context when the call has none (an app with a context manager)", async () => {
    const active = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    // Stands in for an app's registered context manager: only `active()` matters here.
    const manager = {
      active: () => active,
      with: <A extends unknown[], F extends (...args: A) => ReturnType<F>>(
        _c: unknown,
        fn: F,
        thisArg?: ThisParameterType<F>,
        ...args: A
      ) => fn.call(thisArg, ...args),
      bind: <T>(_c: unknown, target: T) => target,
      enable() {
        return this;
      },
      disable() {
        return this;
      },
    };
    context.setGlobalContextManager(manager);
    try {
      const msgs = [message("a")];
      await run([traceInterceptor()], ok, callContext(), msgs, { operation: "WriteMessages" });
      expect(msgs[0]!.header("traceparent")).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    } finally {
      context.disable();
    }
  });

  it("leaves headers untouched without a valid span context", async () => {
    const msgs = [message("a")];
    const invalid = trace.setSpanContext(ROOT_CONTEXT, { traceId: "0".repeat(32), spanId: SPAN_ID, traceFlags: 1 });
    await run([traceInterceptor()], ok, callContext(), msgs, { operation: "WriteMessages" });
    await run([traceInterceptor()], ok, callContext({ otelContext: invalid }), msgs, { operation: "WriteMessages" });
    expect(msgs[0]!.headers).toEqual([]);
  });

  it("restores the trace context on read: ctx.otelContext and traceContextOf", async () => {
    const written = [message("a")];
    const producerCtx = callContext({ otelContext: trace.setSpanContext(ROOT_CONTEXT, spanContext) });
    await run([traceInterceptor()], ok, producerCtx, written, { operation: "WriteMessages" });

    const consumerCtx = callContext({ kind: "consumer" });
    await run([traceInterceptor()], async (_c, m) => void m.push(...written), consumerCtx, [], { operation: "ReadMessage" });
    const restored = trace.getSpanContext(consumerCtx.otelContext!);
    expect(restored).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });

    expect(trace.getSpanContext(traceContextOf(written[0]!))?.traceId).toBe(TRACE_ID);
  });

  it("does not set ctx.otelContext when the read message carries no trace", async () => {
    const ctx = callContext({ kind: "consumerGroup" });
    await run([traceInterceptor()], async (_c, m) => void m.push(message("plain")), ctx, [], { operation: "Poll" });
    expect(ctx.otelContext).toBeUndefined();
    expect(trace.getSpanContext(traceContextOf(message("plain")))).toBeUndefined();
  });

  it("prefers an application's registered propagator", async () => {
    const fields: string[] = [];
    propagation.setGlobalPropagator({
      inject: (_ctx, carrier, setter) => {
        fields.push("inject");
        setter.set(carrier, "x-app-trace", "yes");
      },
      extract: (ctx) => ctx,
      fields: () => ["x-app-trace"],
    });
    const msgs = [message("a")];
    const ctx = callContext({ otelContext: trace.setSpanContext(ROOT_CONTEXT, spanContext) });
    await run([traceInterceptor()], ok, ctx, msgs, { operation: "WriteMessages" });
    expect(fields).toEqual(["inject"]);
    expect(msgs[0]!.header("x-app-trace")).toBe("yes");
    expect(msgs[0]!.header("traceparent")).toBeUndefined();
  });

  it("rethrows the same error from a traced call", async () => {
    const err = new Error("write failed");
    const ctx = callContext({ otelContext: trace.setSpanContext(ROOT_CONTEXT, spanContext) });
    await expect(run([traceInterceptor()], () => Promise.reject(err), ctx, [message("a")], { operation: "WriteMessages" })).rejects.toBe(
      err,
    );
  });
});

describe("W3CTraceContextPropagator", () => {
  const getter = { get: (c: Record<string, string>, k: string) => c[k], keys: (c: Record<string, string>) => Object.keys(c) };

  it("parses valid traceparents and rejects malformed ones", () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-01`)).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-future`)).toMatchObject({ traceId: TRACE_ID });
    for (const bad of [
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${"0".repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      "garbage",
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
  });

  it("round-trips span context and trace state through a carrier", () => {
    const p = new W3CTraceContextPropagator();
    const carrier: Record<string, string> = {};
    const sc = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, traceState: createTraceState("a=1") };
    p.inject(trace.setSpanContext(ROOT_CONTEXT, sc), carrier, { set: (c, k, v) => void ((c as Record<string, string>)[k] = v) });
    expect(carrier).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: "a=1" });
    const back = trace.getSpanContext(p.extract(ROOT_CONTEXT, carrier, getter));
    expect(back?.traceState?.get("a")).toBe("1");
    expect(p.fields()).toEqual(["traceparent", "tracestate"]);
  });
});

describe("defaultInterceptors", () => {
  it("puts timing outermost and trace before the observers", async () => {
    const lines: string[] = [];
    const { logger, lines: logged } = capturedLogger();
    const registry = new Registry();
    const chain = defaultInterceptors({
      debug: true,
      accessLog: { logger, request: true, response: false },
      metrics: true,
      trace: true,
      registry,
      debugOptions: { write: (l) => lines.push(l), color: false },
    });
    expect(chain).toHaveLength(6);
    const ctx = callContext({ otelContext: trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 }) });
    await run(chain, () => sleep(5), ctx, [message("v")], { operation: "WriteMessages" });
    expect(lines[0]).toContain("headers=[traceparent]");
    const req = logged()[0]!["req"] as { messages: { headers: Record<string, string> }[] };
    expect(req.messages[0]!.headers["traceparent"]).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(Number(lines[0]!.match(/\[(\d+\.\d+)ms\]/)![1])).toBeGreaterThanOrEqual(4);
    expect(await registry.getSingleMetricAsString("ekafka_client_handle_total")).toContain('result="ok"');
  });

  it("has only timing when everything is off", () => {
    expect(defaultInterceptors({ debug: false, accessLog: false, metrics: false, trace: false })).toHaveLength(1);
  });
});
