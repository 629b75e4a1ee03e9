import { type Counter, type Registry, register } from "prom-client";
import { AccumulatingHistogram, accumulatingCounter, counterSeries } from "../core/accumulating-metrics.js";
import { observe } from "./observe.js";
import { costOf } from "./timing.js";
import type { CallContext, Cmd, Interceptor } from "./types.js";

/** Name of the histogram of call time, in seconds. */
export const HANDLE_SECONDS = "ekafka_client_handle_seconds";
/** Name of the counter of calls by result. */
export const HANDLE_TOTAL = "ekafka_client_handle_total";

/** Labels of both metrics; the counter adds `result` and `code`. */
const LABELS = ["type", "name", "operation", "brokers"] as const;
/**
 * `result` is "ok" or "error", so an alert can select failures in one matcher; `code` says which error
 * (its Kafka code or name), "" when ok. Codes are few, so the counter's cardinality stays bounded.
 */
const COUNTER_LABELS = [...LABELS, "result", "code"] as const;

/** Call times of Kafka clients: from sub-millisecond writes to a Poll's wait of many seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Label = (typeof LABELS)[number];
type CounterLabel = (typeof COUNTER_LABELS)[number];

/** The metrics the metric interceptor records into. */
export interface ClientMetrics {
  /**
   * {@link HANDLE_SECONDS}: call time in seconds, by type, name, operation and brokers. Exported as a
   * prom-client Histogram is; observe through `handleSeconds.series(labels).observe(seconds)`.
   */
  handleSeconds: AccumulatingHistogram;
  /**
   * {@link HANDLE_TOTAL}: calls, by the same labels plus `result` ("ok" or "error") and `code` (the
   * error's). Calls the interceptor counted are added to it when the registry reads it.
   */
  handleTotal: Counter<CounterLabel>;
}

/** The registry metrics go to when none is given: prom-client's default `register`. */
export function metricsRegistry(): Registry {
  return register;
}

/**
 * The ekafka metrics in `registry`, created on first use and reused after: several components (and
 * many tests) share one process, and prom-client refuses to register a name twice.
 */
export function clientMetrics(registry: Registry = register): ClientMetrics {
  return {
    handleSeconds: reuseOr(
      registry,
      HANDLE_SECONDS,
      () => new AccumulatingHistogram(HANDLE_SECONDS, "Time taken by ekafka client calls, in seconds.", LABELS, BUCKETS, registry),
    ),
    handleTotal: reuseOr(registry, HANDLE_TOTAL, () =>
      accumulatingCounter({
        name: HANDLE_TOTAL,
        help: "ekafka client calls, by result (ok or error) and error code.",
        labelNames: COUNTER_LABELS,
        registers: [registry],
      }),
    ),
  };
}

/**
 * Records each call (`enableMetricInterceptor`): its time in {@link HANDLE_SECONDS} and its outcome in
 * {@link HANDLE_TOTAL}. Labels: `type` (client kind), `name` (`component.topic`), `operation`, `brokers`.
 * Place it inside the timing interceptor, whose cost it records.
 */
export function metricInterceptor(registry?: Registry): Interceptor {
  const metrics = clientMetrics(registry);
  const series = new SeriesCache(metrics);
  return (next) => async (ctx, messages, cmd) => {
    try {
      await next(ctx, messages, cmd);
    } catch (err) {
      observe("metric", () => recordFailure(metrics, ctx, cmd, err));
      throw err;
    }
    observe("metric", () => series.ok(ctx, cmd).record(costOf(ctx) / 1000));
  };
}

/** The label values of a call. */
function labelsOf(ctx: CallContext, cmd: Cmd): Record<Label, string> {
  return { type: ctx.kind, name: `${ctx.component}.${ctx.topic}`, operation: cmd.operation, brokers: ctx.brokers.join(",") };
}

/**
 * The series of successful calls, looked up once per instance and operation: a consumer records one
 * Poll per message, and resolving labels every time would cost more than the poll. Recording is plain
 * arithmetic; prom-client gets the numbers when the registry is read.
 */
class SeriesCache {
  /** By instance (its config key, which fixes its kind, topic and brokers), then operation. */
  private readonly cache = new Map<string, Map<string, { record(seconds: number): void }>>();

  constructor(private readonly metrics: ClientMetrics) {}

  ok(ctx: CallContext, cmd: Cmd): { record(seconds: number): void } {
    let byOperation = this.cache.get(ctx.key);
    if (byOperation === undefined) this.cache.set(ctx.key, (byOperation = new Map<string, { record(seconds: number): void }>()));
    let entry = byOperation.get(cmd.operation);
    if (entry === undefined) {
      const labels = labelsOf(ctx, cmd);
      const seconds = this.metrics.handleSeconds.series(labels);
      const total = counterSeries(this.metrics.handleTotal, { ...labels, result: "ok", code: "" });
      entry = {
        record: (value) => {
          seconds.observe(value);
          total.pending++;
        },
      };
      byOperation.set(cmd.operation, entry);
    }
    return entry;
  }
}

/** Records a failed call (rare: the labels are resolved each time). */
function recordFailure(metrics: ClientMetrics, ctx: CallContext, cmd: Cmd, err: unknown): void {
  const labels = labelsOf(ctx, cmd);
  metrics.handleSeconds.series(labels).observe(costOf(ctx) / 1000);
  metrics.handleTotal.inc({ ...labels, result: "error", code: errorCode(err) });
}

/**
 * A short, bounded label for an error: its string code (e.g. "ERR_UNKNOWN_TOPIC_OR_PART"), else a Kafka
 * error type name, else its numeric code, else its class name. Never the message: messages hold
 * offsets, ids and such, which would make a new series per error.
 */
export function errorCode(err: unknown): string {
  if (typeof err !== "object" || err === null) return typeof err;
  const { code, type, name } = err as { code?: unknown; type?: unknown; name?: unknown };
  if (typeof code === "string" && code !== "") return code.slice(0, 64);
  if (typeof type === "string" && /^[A-Z][A-Z0-9_]*$/.test(type)) return type.slice(0, 64);
  if (typeof code === "number") return String(code);
  if (typeof name === "string" && name !== "") return name.slice(0, 64);
  return "error";
}

function reuseOr<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
