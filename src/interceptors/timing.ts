import { performance } from "node:perf_hooks";
import type { CallContext, Interceptor } from "./types.js";

/** Where the timing interceptor keeps the call's start (performance.now() ms) in `ctx.values`. */
const START = Symbol("ekafka.timing.start");
/** Where it keeps the final cost (ms) once the call has ended. */
const COST = Symbol("ekafka.timing.cost");

/**
 * Measures each call, the one place the time of a call is taken: it records the start in
 * `ctx.values` before calling on and the cost once the call ends. Put it outermost so interceptors
 * inside it can read {@link costOf} while the call is finishing.
 */
export function timingInterceptor(): Interceptor {
  return (next) => async (ctx, messages, cmd) => {
    ctx.values.set(START, performance.now());
    ctx.values.delete(COST);
    try {
      await next(ctx, messages, cmd);
    } finally {
      ctx.values.set(COST, elapsedSince(ctx));
    }
  };
}

/**
 * The time the call has taken, in milliseconds: the final cost once the timing interceptor has seen
 * the call end, else the time since it started (what an interceptor inside the timing one sees). 0 when
 * no timing interceptor runs for this call.
 */
export function costOf(ctx: CallContext): number {
  const cost = ctx.values.get(COST);
  if (typeof cost === "number") return cost;
  return elapsedSince(ctx);
}

function elapsedSince(ctx: CallContext): number {
  const start = ctx.values.get(START);
  return typeof start === "number" ? performance.now() - start : 0;
}
