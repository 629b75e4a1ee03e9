// Prometheus series that hot paths update with plain arithmetic and that reach prom-client only when
// its registry is read: prom-client's own observe and inc validate and hash the labels on every call.
import {
  Counter,
  type CounterConfiguration,
  type Metric,
  type MetricObjectWithValues,
  type MetricValueWithName,
  type Registry,
} from "prom-client";

/** A series' key among its metric's series: its label values, by label name. */
function seriesKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join("\u0000");
}

/** One labelled series of an {@link AccumulatingHistogram}: what a hot path holds on to and observes into. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  /** The sum of the values observed (the `_sum` line). */
  sum = 0;
  /** How many values were observed (the `_count` line). */
  count = 0;

  constructor(
    /** The series' label values. */
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Counts `value` in its bucket. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Back to no observation. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/**
 * A Prometheus histogram registered in a prom-client `Registry`, exported exactly as prom-client's
 * `Histogram` exports one (`_bucket` with `le`, `_sum`, `_count`), whose series are plain objects a hot
 * path observes into with a few array operations. prom-client's own `observe` validates and hashes the
 * labels on every call (about 1.6 µs, measured): at tens of thousands of handler calls a second that was
 * a tenth of the Consumer Server's time per message, and more than a consumer group's `poll()` costs.
 */
export class AccumulatingHistogram {
  /** What prom-client's registry reads: the metric's type. */
  readonly type = "histogram";
  /** How prom-client's cluster aggregation merges it across workers. */
  readonly aggregator = "sum";
  readonly #series = new Map<string, HistogramSeries>();

  constructor(
    /** The metric's name (`_bucket`, `_sum` and `_count` are added to it). */
    readonly name: string,
    /** The metric's HELP text. */
    readonly help: string,
    /** The names of its labels. */
    readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
    /** Where it is registered, as prom-client's metrics are (its `registers`). */
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of `labels` (made on first use; the same object afterwards). */
  series(labels: Readonly<Record<string, string>>): HistogramSeries {
    const key = seriesKey(labels);
    let series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, (series = new HistogramSeries({ ...labels }, this.bounds)));
    return series;
  }

  /** What prom-client's registry reads to export the metric. */
  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    // Bucket values carry a null exemplar, as prom-client's do (its JSON export shows it).
    const values: Array<MetricValueWithName<string> & { exemplar?: null }> = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...series.labels }, value: cumulative, exemplar: null });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", ...series.labels }, value: series.count, exemplar: null });
      values.push({ metricName: `${this.name}_sum`, labels: { ...series.labels }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...series.labels }, value: series.count });
    }
    const exported = { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
    return exported as unknown as MetricObjectWithValues<MetricValueWithName<string>>;
  }

  /** `registry.resetMetrics()`: every series back to zero (the objects a hot path holds stay valid). */
  reset(): void {
    for (const series of this.#series.values()) series.reset();
  }
}

/** One labelled series of an {@link accumulatingCounter}: a hot path adds to `pending` with plain arithmetic. */
export interface CounterSeries {
  /** Counted since the counter was last read; handed to it (and set back to 0) when the registry reads it. */
  pending: number;
}

interface Entry extends CounterSeries {
  labels: Record<string, string>;
}

/** The series of each accumulating counter, by their label values. */
const seriesByCounter = new WeakMap<object, Map<string, Entry>>();

function handPending(this: Counter): void {
  for (const entry of seriesByCounter.get(this)?.values() ?? []) {
    if (entry.pending === 0) continue;
    this.inc(entry.labels, entry.pending);
    entry.pending = 0;
  }
}

/**
 * A prom-client Counter whose hot paths count through {@link counterSeries}: plain numbers, handed to the
 * counter with one `inc` per series when the registry reads it (its `collect`). prom-client's own `inc`
 * validates and hashes the labels on every call, which costs more than a consumer's poll.
 */
export function accumulatingCounter<L extends string>(config: Omit<CounterConfiguration<L>, "collect">): Counter<L> {
  const counter = new Counter<L>({ ...config, collect: handPending });
  // `registry.resetMetrics()`: what was counted before the reset is not added after it.
  const reset = counter.reset.bind(counter);
  counter.reset = () => {
    for (const entry of seriesByCounter.get(counter)?.values() ?? []) entry.pending = 0;
    reset();
  };
  return counter;
}

/**
 * The series of `labels` in `counter` (made by {@link accumulatingCounter}): the same object for the same
 * label values, whoever asks (components and servers that share a registry share its series).
 */
export function counterSeries<L extends string>(counter: Counter<L>, labels: Readonly<Record<L, string>>): CounterSeries {
  let byLabels = seriesByCounter.get(counter);
  if (byLabels === undefined) seriesByCounter.set(counter, (byLabels = new Map<string, Entry>()));
  const key = seriesKey(labels);
  let entry = byLabels.get(key);
  if (entry === undefined) byLabels.set(key, (entry = { labels: { ...labels }, pending: 0 }));
  return entry;
}
