import {
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  createTraceState,
  isSpanContextValid,
  trace,
} from "@opentelemetry/api";

/** The header carrying the trace id, parent span id and flags (W3C Trace Context, https://www.w3.org/TR/trace-context/). */
export const TRACEPARENT = "traceparent";
/** The header carrying vendor-specific trace state next to {@link TRACEPARENT} (W3C Trace Context). */
export const TRACESTATE = "tracestate";

/**
 * `version-traceid-parentid-flags`. A future version may append fields after the flags, so only
 * version 00 has to end there; version ff is forbidden.
 */
const TRACEPARENT_RE = /^\s*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?\s*$/;

/**
 * A W3C Trace Context propagator (`traceparent` + `tracestate`) built on `@opentelemetry/api` alone.
 *
 * `@opentelemetry/core` has the same class, but ekafka must carry trace context with nothing but the
 * API installed; an application that registers an SDK and its own propagator gets that one instead (see
 * the trace interceptor). Applications without an SDK may register this one globally.
 */
export class W3CTraceContextPropagator implements TextMapPropagator {
  /**
   * Writes the span of `context` into `carrier` as `traceparent` (and `tracestate` when it has one);
   * writes nothing when `context` holds no valid span.
   *
   * @param setter sets one header on the carrier, e.g. {@link messageHeaderSetter} for a Message
   */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(spanContext));
    const state = spanContext.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  /**
   * `context` with the remote span named by the carrier's `traceparent` (the last one when repeated) and
   * its `tracestate`; `context` itself when the header is absent or malformed.
   *
   * @param getter reads one header of the carrier, e.g. {@link messageHeaderGetter} for a Message
   */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const spanContext = parseTraceparent(lastOf(getter.get(carrier, TRACEPARENT)));
    if (!spanContext) return context;
    const state = getter.get(carrier, TRACESTATE);
    // Several tracestate headers are one list, joined by commas (W3C §3.3.1.1).
    const raw = Array.isArray(state) ? state.join(",") : state;
    if (raw) spanContext.traceState = createTraceState(raw);
    return trace.setSpanContext(context, spanContext);
  }

  /** The headers this propagator reads and writes: `traceparent` and `tracestate`. */
  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}

/** `00-<trace id>-<span id>-<flags>`, flags as two hex digits. */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** The remote span context a `traceparent` value names, or undefined when it is malformed or invalid. */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT_RE.exec(value);
  if (!match) return undefined;
  const [, version = "", traceId = "", spanId = "", flags = "", rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The last of repeated headers, as a Kafka record's later header overrides an earlier one. */
function lastOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}
