import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import { messagingAttributes, TRACER_NAME } from "../src/interceptors/messaging-attributes.js";
import type { Delivery } from "./context.js";
import type { Middleware } from "./middleware.js";

/** Names of the span events the Consumer Server adds to a message's `process` span. */
export const PROCESS_SPAN_EVENTS = Object.freeze({
  /** The handler is called again after a recoverable error; `messaging.ekafka.attempt` is the call's number. */
  retry: "ekafka.retry",
  /** The message was written to the dead-letter producer after its last failure. */
  deadLetter: "ekafka.dead_letter",
});

/**
 * OpenTelemetry `process` spans of the messaging semantic conventions, one CONSUMER span per message a
 * Consumer Server handles, as two middlewares: {@link outer} (outside dead letter and retry) makes the
 * span, whose parent is the trace context the message carries in its headers, and runs the rest of the
 * handling in its context (so the handler's own spans, and a dead-letter write, are its children);
 * {@link inner} (around the handler) records each failure as an exception event and each retry as an
 * event. Through `@opentelemetry/api`: no-ops until the application registers an SDK.
 */
export class ProcessSpans {
  readonly #spans = new WeakMap<Delivery, { span: Span; lastCallFailed: boolean }>();

  /** @param group the consumer group id, for `messaging.consumer.group.name` */
  constructor(private readonly group: string | undefined) {}

  readonly outer: Middleware = (next) => async (delivery) => {
    const message = delivery.message;
    const attributes: Attributes = {
      ...messagingAttributes(message, "process"),
      "messaging.kafka.offset": message.offset,
      ...(this.group === undefined ? {} : { "messaging.consumer.group.name": this.group }),
    };
    const tracer = trace.getTracer(TRACER_NAME);
    const span = tracer.startSpan(`process ${message.topic}`, { kind: SpanKind.CONSUMER, attributes }, delivery.otelContext);
    const state = { span, lastCallFailed: false };
    this.#spans.set(delivery, state);
    delivery.otelContext = trace.setSpan(delivery.otelContext, span);
    try {
      await context.with(delivery.otelContext, () => next(delivery));
      if (state.lastCallFailed) span.addEvent(PROCESS_SPAN_EVENTS.deadLetter, { "messaging.ekafka.attempts": delivery.attempts });
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.setAttribute("error.type", error instanceof Error ? error.name : typeof error);
      throw error;
    } finally {
      span.end();
    }
  };

  readonly inner: Middleware = (next) => async (delivery) => {
    const state = this.#spans.get(delivery);
    if (state !== undefined && delivery.attempts > 0) state.span.addEvent(PROCESS_SPAN_EVENTS.retry, { "messaging.ekafka.attempt": delivery.attempts + 1 });
    try {
      await next(delivery);
      if (state !== undefined) state.lastCallFailed = false;
    } catch (error) {
      if (state !== undefined) {
        state.lastCallFailed = true;
        state.span.recordException(error instanceof Error ? error : String(error));
      }
      throw error;
    }
  };
}
