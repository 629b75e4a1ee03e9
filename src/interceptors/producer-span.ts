import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import type { Message } from "../message.js";
import { messagingAttributes, TRACER_NAME } from "./messaging-attributes.js";
import { observe } from "./observe.js";
import { activePropagator, hasValidSpan, messageHeaderSetter } from "./trace.js";
import type { Interceptor } from "./types.js";
import { tracerProviderRegistered } from "./tracer-registered.js";

/**
 * OpenTelemetry PRODUCER spans of the messaging semantic conventions: one `send <topic>` span per
 * message of a WriteMessages call (the conventions' span per message, which is what a consumer's
 * `process` span can name as its parent), child of the call's context (`ctx.otelContext` when it holds
 * a span, else the active one). Each message carries its own span's context in its headers (replacing
 * the call's `traceparent`), and the span gets the partition and offset once delivered, or the error.
 *
 * Through `@opentelemetry/api`. While no tracer provider is registered no span is made (see
 * {@link tracerProviderRegistered}); a call context holding a span still has its context carried in the
 * headers, as the API's no-op spans would have.
 * Place it inside the trace interceptor (`enableTraceInterceptor` adds both).
 */
export function producerSpanInterceptor(): Interceptor {
  return (next) => async (ctx, messages, cmd) => {
    if (cmd.operation !== "WriteMessages") {
      await next(ctx, messages, cmd);
      return;
    }
    let spans: Span[] = [];
    observe("span", () => (spans = startSpans(ctx.otelContext, messages)));
    try {
      await next(ctx, messages, cmd);
    } catch (error) {
      observe("span", () => endSpans(spans, messages, error));
      throw error;
    }
    observe("span", () => endSpans(spans, messages));
  };
}

function startSpans(callContext: Context | undefined, messages: readonly Message[]): Span[] {
  const parent = callContext !== undefined && hasValidSpan(callContext) ? callContext : context.active();
  if (!tracerProviderRegistered()) {
    // What the no-op spans would have done: carry the parent's span context, when it has one.
    if (hasValidSpan(parent)) {
      const propagator = activePropagator();
      for (const message of messages) propagator.inject(parent, message, messageHeaderSetter);
    }
    return [];
  }
  const tracer = trace.getTracer(TRACER_NAME);
  const propagator = activePropagator();
  return messages.map((message) => {
    const span = tracer.startSpan(`send ${message.topic}`, { kind: SpanKind.PRODUCER }, parent);
    // Attributes cost a little per message: only for spans an SDK records.
    if (span.isRecording()) span.setAttributes(messagingAttributes(message, "send"));
    const own = trace.setSpan(parent, span);
    if (hasValidSpan(own)) propagator.inject(own, message, messageHeaderSetter);
    return span;
  });
}

function endSpans(spans: readonly Span[], messages: readonly Message[], ...failure: [error: unknown] | []): void {
  const failed = failure.length === 0 ? undefined : failedMessages(failure[0], messages);
  spans.forEach((span, i) => {
    const message = messages[i]!;
    if (span.isRecording()) {
      if (message.partition >= 0) span.setAttribute("messaging.destination.partition.id", String(message.partition));
      if (message.offset >= 0) span.setAttribute("messaging.kafka.offset", message.offset);
      if (failed?.has(message)) {
        const error = failure[0];
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        span.setAttribute("error.type", errorType(error));
      }
    }
    span.end();
  });
}

/** The messages a failed write did not deliver: its `failed` list, or all of them when it has none. */
function failedMessages(error: unknown, messages: readonly Message[]): Set<Message> {
  const failed = (error as { failed?: unknown } | null)?.failed;
  return new Set(Array.isArray(failed) ? (failed as Message[]) : messages);
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" || typeof code === "number") return String(code);
  return error instanceof Error ? error.name : "_OTHER";
}
