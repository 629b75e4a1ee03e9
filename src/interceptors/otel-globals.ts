import { context, ROOT_CONTEXT, type Context } from "@opentelemetry/api";

/**
 * Where `@opentelemetry/api` (major version 1) keeps what an application registers: a context manager,
 * a tracer provider, a propagator, a meter provider, a diag logger. Absent until the first registration.
 */
const OTEL_API_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/** The last answer of {@link otelApiInUse}, kept until the current synchronous run of code ends. */
let inUse: boolean | undefined;
const forget = (): void => {
  inUse = undefined;
};

/**
 * Whether the application registered anything with `@opentelemetry/api`. While it has not, the API is
 * all no-ops — the active context is the root context, `context.with` only calls its function, there is
 * no tracer provider and no propagator — and each of those API calls still looks its global up on the
 * global object and checks its version: four of them per message were 8–10 % of the Consumer Server's
 * own time. The answer is looked up once per synchronous run (a Consumer Server handles a fetched
 * batch of synchronous handlers in one run) and asked again after it, so a registration made later is
 * seen from the next run on; once anything is registered every call goes through the API.
 */
export function otelApiInUse(): boolean {
  if (inUse === undefined) {
    inUse = (globalThis as Record<symbol, unknown>)[OTEL_API_GLOBAL] !== undefined;
    queueMicrotask(forget);
  }
  return inUse;
}

/** `context.active()`, without the API's lookups while nothing is registered. */
export function activeContext(): Context {
  return otelApiInUse() ? context.active() : ROOT_CONTEXT;
}

/** `context.with(ctx, fn, thisArg, ...args)`, a plain call while nothing is registered (the API would only call it). */
export function runInContext<A extends unknown[], R>(ctx: Context, fn: (...args: A) => R, thisArg: unknown, ...args: A): R {
  return otelApiInUse() ? context.with(ctx, fn, thisArg, ...args) : fn.apply(thisArg, args);
}
