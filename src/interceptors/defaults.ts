import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { accessInterceptor } from "./access.js";
import { type DebugOptions, debugInterceptor } from "./debug.js";
import { metricInterceptor } from "./metric.js";
import { timingInterceptor } from "./timing.js";
import { producerSpanInterceptor } from "./producer-span.js";
import { traceInterceptor } from "./trace.js";
import type { Interceptor } from "./types.js";

/** Which built-in interceptors a component uses; mirrors the `[kafka]` config switches. */
export interface DefaultInterceptorOptions {
  /** `debug`: one line per call on stderr. */
  debug: boolean;
  /** `enableAccessInterceptor` (+ `Req` / `Res`): a pino line per call; false or absent for none. */
  accessLog?:
    | {
        /** Where the lines go: the component's logger. */
        logger: Logger;
        /** Log what each call was given (`enableAccessInterceptorReq`). */
        request: boolean;
        /** Log what each call returned (`enableAccessInterceptorRes`). */
        response: boolean;
      }
    | false;
  /** `enableMetricInterceptor`. */
  metrics: boolean;
  /** `enableTraceInterceptor`. */
  trace: boolean;
  /** Where metrics go; prom-client's default registry when absent. */
  registry?: Registry;
  /** Where debug lines go and whether they are coloured (tests, or an app's own stderr handling). */
  debugOptions?: DebugOptions;
}

/**
 * The built-in interceptors, outermost first:
 *
 * 1. timing: outermost, so the cost it measures spans the whole call and is known to every
 *    interceptor inside it when they record the call's end.
 * 2. trace, then the producer spans: before the observers, so on a write they see (and log) the
 *    `traceparent` injected (each message's own PRODUCER span); on a read trace runs after them,
 *    setting `ctx.otelContext` for the caller.
 * 3. debug, 4. access log, 5. metrics: they only observe; each records the call once it ended.
 *
 * A component appends the user's interceptors after these (inner), so the user's see the injected
 * headers and the built-ins see every call, including ones a user interceptor fails. Go's ekafka chains
 * them the other way round (the user's outermost); the README's "Moving from Go" says so.
 */
export function defaultInterceptors(opts: DefaultInterceptorOptions): Interceptor[] {
  const list: Interceptor[] = [timingInterceptor()];
  if (opts.trace) list.push(traceInterceptor(), producerSpanInterceptor());
  if (opts.debug) list.push(debugInterceptor(opts.debugOptions));
  if (opts.accessLog) list.push(accessInterceptor(opts.accessLog.logger, opts.accessLog));
  if (opts.metrics) list.push(metricInterceptor(opts.registry));
  return list;
}
