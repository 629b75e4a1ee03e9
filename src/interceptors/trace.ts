import { type Context, type TextMapGetter, type TextMapSetter, context, isSpanContextValid, propagation, trace } from "@opentelemetry/api";
import type { Message } from "../message.js";
import { observe } from "./observe.js";
import { type CallContext, type Interceptor, isReadOperation } from "./types.js";
import { W3CTraceContextPropagator } from "./w3c.js";
import { activeContext, otelApiInUse } from "./otel-globals.js";

/** Reads a message's headers for a propagator. Kafka header names are matched case-insensitively, as HTTP's are. */
export const messageHeaderGetter: TextMapGetter<Message> = {
  keys: (message) => [...new Set(message.headers.map((h) => h.key))],
  get: (message, key) => {
    if (message.headers.length === 0) return undefined; // most messages: no arrays made per message
    const wanted = key.toLowerCase();
    const values = message.headers.filter((h) => h.key.toLowerCase() === wanted).map((h) => h.value.toString("utf8"));
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

/** Writes a propagator's fields into a message's headers, replacing any header of the same name. */
export const messageHeaderSetter: TextMapSetter<Message> = {
  set: (message, key, value) => message.setHeader(key, value),
};

const builtin = new W3CTraceContextPropagator();

/**
 * The propagator to use: the application's, when it registered one (`propagation.setGlobalPropagator`,
 * e.g. through an SDK: it may add baggage or use another format on purpose), else the built-in W3C one,
 * so `traceparent` is carried even when only `@opentelemetry/api` is installed. The API's no-op
 * propagator is the one with no fields.
 */
export function activePropagator(): Pick<typeof propagation, "inject" | "extract"> {
  return propagation.fields().length > 0 ? propagation : builtin;
}

/**
 * The trace context one message carries in its headers, on top of `base` (default: the active
 * context). The consumer server runs each handler call in its message's context this way. Without a
 * trace header it is `base` itself.
 */
export function traceContextOf(message: Message, base: Context = activeContext()): Context {
  // Nothing registered means the built-in W3C propagator, which finds nothing in a message without headers.
  if (message.headers.length === 0 && !otelApiInUse()) return base;
  return activePropagator().extract(base, message, messageHeaderGetter);
}

/**
 * Carries trace context in message headers (`enableTraceInterceptor`).
 *
 * - WriteMessages: injects the call's context into every message (W3C `traceparent`, plus `tracestate`
 *   when there is one). The context is `ctx.otelContext` when the caller set one with a valid span
 *   (explicit beats ambient, and works with no context manager registered), else `context.active()`.
 *   With no valid span context in either, headers are left as they are.
 * - ReadMessage / FetchMessage / Poll: once messages were read, sets `ctx.otelContext` to the context
 *   the first message carries (when it carries one), for interceptors outside this one and the caller.
 *
 * Place it outside the debug and access-log interceptors so that they see the injected headers.
 */
export function traceInterceptor(): Interceptor {
  return (next) => async (ctx, messages, cmd) => {
    // A propagator that throws costs the trace, never the write or the messages read.
    if (cmd.operation === "WriteMessages") observe("trace", () => injectInto(ctx, messages));
    await next(ctx, messages, cmd);
    if (isReadOperation(cmd.operation)) observe("trace", () => extractFrom(ctx, messages));
  };
}

function injectInto(ctx: CallContext, messages: readonly Message[]): void {
  const source = [ctx.otelContext, context.active()].find((c) => c !== undefined && hasValidSpan(c));
  if (source === undefined) return;
  const propagator = activePropagator();
  for (const message of messages) propagator.inject(source, message, messageHeaderSetter);
}

function extractFrom(ctx: CallContext, messages: readonly Message[]): void {
  const first = messages[0];
  if (first === undefined) return;
  const extracted = traceContextOf(first, ctx.otelContext ?? context.active());
  if (hasValidSpan(extracted)) ctx.otelContext = extracted;
}

/** Whether `ctx` holds a valid span context (one worth propagating). */
export function hasValidSpan(ctx: Context): boolean {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && isSpanContextValid(spanContext);
}
