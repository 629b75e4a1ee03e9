import { Counter, type CounterConfiguration } from "prom-client";

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
  const key = Object.entries<string>(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join("\u0000");
  let entry = byLabels.get(key);
  if (entry === undefined) byLabels.set(key, (entry = { labels: { ...labels }, pending: 0 }));
  return entry;
}
