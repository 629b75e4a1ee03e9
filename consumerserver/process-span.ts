import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Link, type Span } from "@opentelemetry/api";
import { messagingAttributes, traceContextOf, tracerProviderRegistered, TRACER_NAME } from "../src/index.js";
import type { Delivery, Middleware, Outcome } from "./delivery.js";
import { stepMiddleware, type SyncStep } from "./sync-step.js";

/** Names of the span events the Consumer Server adds to a delivery's `process` span. */
export const PROCESS_SPAN_EVENTS = Object.freeze({
  /** The handler is called again after a recoverable error; `messaging.ekafka.attempt` is the call's number. */
  retry: "ekafka.retry",
  /** The messages were written to the dead-letter producer after their last failure. */
  deadLetter: "ekafka.dead_letter",
  /** The messages were written to the next retry tier's topic. */
  retryTier: "ekafka.retry_tier",
});

/** The span event of an outcome decided after a failure. */
const OUTCOME_EVENTS: Partial<Record<Outcome, string>> = {
  dead_lettered: PROCESS_SPAN_EVENTS.deadLetter,
  retry_tier: PROCESS_SPAN_EVENTS.retryTier,
};

/**
 * OpenTelemetry `process` spans of the messaging semantic conventions: one CONSUMER span per delivery a
 * Consumer Server handles (a message, or a batch), as two middlewares. {@link outer} (outside dead
 * letter and retry) makes the span — its parent is the trace context the (first) message carries in
 * its headers; a batch links the other messages' contexts — and runs the rest of the handling in its
 * context, so the handler's own spans and a dead-letter write are its children. {@link inner} (around
 * the handler) records each failed call as an exception event and each retry as an event.
 * Through `@opentelemetry/api`. Until the application registers a tracer provider (an SDK) no span is
 * made at all — the API's would be a no-op span costing an object, a context and a promise per delivery
 * — and the handler's `otelContext` is the one the message carries (the same span context the no-op
 * span would have held). An SDK registered later is picked up from the next synchronous run on (see
 * `otelApiInUse`).
 */
export class ProcessSpans {
  readonly #spans = new WeakMap<Delivery, Span>();

  /** @param group the consumer group id, for `messaging.consumer.group.name` */
  constructor(private readonly group: string | undefined) {}

  /** The middleware that makes the delivery's span and runs the rest of the handling in its context. */
  readonly outer: Middleware = stepMiddleware(
    (next) => (delivery) => (tracerProviderRegistered() ? this.#traced(next, delivery) : next(delivery)),
  );

  /** The middleware around the handler: records each failed call and each retry on the span {@link outer} made. */
  readonly inner: Middleware = stepMiddleware((next) => (delivery) => {
    const span = this.#spans.get(delivery);
    return span === undefined ? next(delivery) : this.#recorded(next, delivery, span);
  });

  async #traced(next: SyncStep, delivery: Delivery): Promise<void> {
    const message = delivery.message;
    const tracer = trace.getTracer(TRACER_NAME);
    const span = tracer.startSpan(
      `process ${message.topic}`,
      { kind: SpanKind.CONSUMER, links: batchLinks(delivery) },
      delivery.otelContext,
    );
    if (span.isRecording()) span.setAttributes(this.#attributes(delivery));
    this.#spans.set(delivery, span);
    delivery.otelContext = trace.setSpan(delivery.otelContext, span);
    try {
      await context.with(delivery.otelContext, () => next(delivery));
      const event = OUTCOME_EVENTS[delivery.outcome ?? "ok"];
      if (event !== undefined) span.addEvent(event, { "messaging.ekafka.attempts": delivery.attempts });
      span.setAttribute("messaging.ekafka.outcome", delivery.outcome ?? "ok");
    } catch (error) {
      span.setAttribute("messaging.ekafka.outcome", "failed");
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.setAttribute("error.type", error instanceof Error ? error.name : typeof error);
      throw error;
    } finally {
      span.end();
    }
  }

  async #recorded(next: SyncStep, delivery: Delivery, span: Span): Promise<void> {
    if (delivery.retries > 0) span.addEvent(PROCESS_SPAN_EVENTS.retry, { "messaging.ekafka.attempt": delivery.attempts + 1 });
    try {
      await next(delivery);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      throw error;
    }
  }

  #attributes(delivery: Delivery): Attributes {
    const attributes: Attributes = {
      ...messagingAttributes(delivery.message, "process"),
      "messaging.kafka.offset": delivery.message.offset,
    };
    if (this.group !== undefined) attributes["messaging.consumer.group.name"] = this.group;
    if (delivery.batch !== undefined) attributes["messaging.batch.message_count"] = delivery.messages.length;
    return attributes;
  }
}

/** A batch's span links the trace context of each message after the first (the first is its parent). */
function batchLinks(delivery: Delivery): Link[] {
  if (delivery.batch === undefined) return [];
  const links: Link[] = [];
  for (const message of delivery.messages.slice(1)) {
    const spanContext = trace.getSpanContext(traceContextOf(message));
    if (spanContext !== undefined) links.push({ context: spanContext });
  }
  return links;
}
