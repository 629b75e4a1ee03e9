import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chainInterceptors, producerSpanInterceptor, traceInterceptor, type CallContext } from "../../src/interceptors.js";
import { Message } from "../../src/message.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => trace.setGlobalTracerProvider(provider));
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

const ctx = (): CallContext => ({
  component: "ekafka",
  key: "kafka.producers.p",
  name: "p",
  kind: "producer",
  brokers: ["b:9092"],
  topic: "orders",
  values: new Map(),
});
const message = (key: string) => new Message({ topic: "orders", key: Buffer.from(key), value: Buffer.from("value") });

describe("producerSpanInterceptor", () => {
  it("makes a PRODUCER span per message with the messaging attributes, and the message carries that span's traceparent", async () => {
    const messages = [message("a"), message("b")];
    const write = chainInterceptors([traceInterceptor(), producerSpanInterceptor()])(async (_ctx, msgs) => {
      msgs.forEach((m, i) => Object.assign(m, { partition: i, offset: 100 + i }));
    });
    await write(ctx(), messages, { operation: "WriteMessages" });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ["send orders", SpanKind.PRODUCER],
      ["send orders", SpanKind.PRODUCER],
    ]);
    expect(spans[0]!.attributes).toEqual({
      "messaging.system": "kafka",
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.destination.name": "orders",
      "messaging.message.body.size": 5,
      "messaging.kafka.message.key": "a",
      "messaging.destination.partition.id": "0",
      "messaging.kafka.offset": 100,
    });
    spans.forEach((span, i) => {
      expect(messages[i]!.header("traceparent")).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    });
  });

  it("marks the spans of the messages a write failed to deliver", async () => {
    const messages = [message("ok"), message("lost")];
    const failure = Object.assign(new Error("delivery failed"), { code: "ERR_MSG_TIMED_OUT", failed: [messages[1]] });
    const write = chainInterceptors([producerSpanInterceptor()])(async () => {
      throw failure;
    });
    await expect(write(ctx(), messages, { operation: "WriteMessages" })).rejects.toBe(failure);
    const [ok, lost] = exporter.getFinishedSpans();
    expect(ok!.status.code).toBe(SpanStatusCode.UNSET);
    expect(lost!.status).toEqual({ code: SpanStatusCode.ERROR, message: "delivery failed" });
    expect(lost!.attributes["error.type"]).toBe("ERR_MSG_TIMED_OUT");
  });

  it("makes no span for other operations", async () => {
    await chainInterceptors([producerSpanInterceptor()])(async () => undefined)(ctx(), [], { operation: "Poll" });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
