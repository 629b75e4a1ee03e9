/**
 * Interceptors: what wraps every producer, consumer, consumer-group and admin call, and each message a
 * Consumer Server handler handles (see the README's "Interceptors"). One concept per module under
 * `./interceptors/`; this file is the entry.
 */
export { type CallContext, type ClientKind, type Cmd, type Interceptor, type ProcessFn, isReadOperation } from "./interceptors/types.js";
export { chainInterceptors } from "./interceptors/chain.js";
export { costOf, timingInterceptor } from "./interceptors/timing.js";
export { type DebugOptions, type DebugOutcome, type DebugPaint, debugInterceptor, debugLine } from "./interceptors/debug.js";
export { type AccessFields, type AccessLogOptions, accessFields, accessInterceptor } from "./interceptors/access.js";
export {
  type ClientMetrics,
  HANDLE_SECONDS,
  HANDLE_TOTAL,
  clientMetrics,
  errorCode,
  metricInterceptor,
  metricsRegistry,
} from "./interceptors/metric.js";
export { messageHeaderGetter, messageHeaderSetter, traceContextOf, traceInterceptor } from "./interceptors/trace.js";
export { TRACEPARENT, TRACESTATE, W3CTraceContextPropagator, formatTraceparent, parseTraceparent } from "./interceptors/w3c.js";
export { producerSpanInterceptor } from "./interceptors/producer-span.js";
export { messagingAttributes, TRACER_NAME } from "./interceptors/messaging-attributes.js";
export { tracerProviderRegistered } from "./interceptors/tracer-registered.js";
export { activeContext, otelApiInUse, runInContext } from "./interceptors/otel-globals.js";
export { type DefaultInterceptorOptions, defaultInterceptors } from "./interceptors/defaults.js";
