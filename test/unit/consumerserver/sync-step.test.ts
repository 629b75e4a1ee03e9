import { trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { MessageDelivery } from "../../../consumerserver/context.js";
import { chain } from "../../../consumerserver/delivery.js";
import { HandlerMetrics } from "../../../consumerserver/handler-metrics.js";
import { RecoverableError, retryPolicy } from "../../../consumerserver/index.js";
import { callHandler, retrying, type MessageHandler } from "../../../consumerserver/middleware.js";
import { ProcessSpans } from "../../../consumerserver/process-span.js";
import { stepOf } from "../../../consumerserver/sync-step.js";
import { tracerProviderRegistered } from "../../../src/interceptors.js";
import { Message } from "../../../src/message.js";

const delivery = () =>
  new MessageDelivery(
    new Message({ topic: "orders", partition: 0, offset: 1, value: Buffer.from("v") }),
    new AbortController().signal,
    pino({ level: "silent" }),
  );

/** The built-in pipeline of a Consumer Server around `handler`, outermost first. */
function pipeline(handler: MessageHandler) {
  const metrics = new HandlerMetrics("s1", new Registry());
  const spans = new ProcessSpans("g1");
  return chain(
    callHandler(handler),
    spans.outer,
    metrics.outer,
    retrying(retryPolicy({ backoffMs: 0 }), () => undefined),
    metrics.inner,
    spans.inner,
  );
}

afterEach(() => trace.disable());

describe("the synchronous steps of the pipeline", () => {
  it("a handler returning without a promise goes through the whole pipeline synchronously", () => {
    let calls = 0;
    const d = delivery();
    expect(stepOf(pipeline(() => void calls++))(d)).toBeUndefined();
    expect(calls).toBe(1);
    expect(d.attempts).toBe(1);
  });

  it("an async handler, a retried failure and a registered tracer provider each make it asynchronous, with the same outcome", async () => {
    const asyncDelivery = delivery();
    await expect(stepOf(pipeline(async () => undefined))(asyncDelivery)).resolves.toBeUndefined();
    expect(asyncDelivery.attempts).toBe(1);

    let calls = 0;
    const retried = delivery();
    const failingOnce = stepOf(
      pipeline(() => {
        if (++calls === 1) throw new RecoverableError("again");
      }),
    )(retried);
    expect(failingOnce).toBeInstanceOf(Promise);
    await failingOnce;
    expect(retried.attempts).toBe(2);

    expect(tracerProviderRegistered()).toBe(false);
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    await new Promise((resolve) => setImmediate(resolve)); // a registration is seen from the next run on
    expect(tracerProviderRegistered()).toBe(true);
    const traced = stepOf(pipeline(() => undefined))(delivery());
    expect(traced).toBeInstanceOf(Promise);
    await traced;
  });

  it("a synchronous failure that is not retried rejects, through the step and through the handler", async () => {
    const failing = pipeline(() => {
      throw new Error("no");
    });
    await expect(stepOf(failing)(delivery())).rejects.toThrow("no");
    await expect(failing(delivery())).rejects.toThrow("no");
  });
});
