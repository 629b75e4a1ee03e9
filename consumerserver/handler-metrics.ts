import { Gauge, register, type Counter, type Registry } from "prom-client";
import { AccumulatingHistogram, accumulatingCounter, counterSeries, type CounterSeries, type HistogramSeries } from "../src/core/index.js";
import type { Delivery, Middleware, Outcome } from "./delivery.js";
import { stepMiddleware } from "./sync-step.js";

/** Names of the Consumer Server's handler metrics. */
export const HANDLER_METRICS = Object.freeze({
  /** Histogram (server, topic): time of each call of an `onEachMessage` handler, in seconds. */
  seconds: "ekafka_consumerserver_handler_seconds",
  /** Counter (server, topic, result): messages handled, by {@link HandlerResult}. */
  handled: "ekafka_consumerserver_handled_total",
  /** Gauge (server): messages being handled now, retries and dead-lettering included. */
  inFlight: "ekafka_consumerserver_in_flight_messages",
  /** Gauge (server): messages fetched and waiting for their turn (their key, partition or a free slot), not started yet. */
  waiting: "ekafka_consumerserver_waiting_messages",
});

/**
 * The `result` label of the `ekafka_consumerserver_handled_total` counter ({@link HANDLER_METRICS}): the
 * delivery's {@link Outcome} once per message — `ok`, `retry_tier` (moved to a retry tier's topic),
 * `dead_lettered` or `failed` — and one `retried` per in-place retry of a message (or batch).
 */
export type HandlerResult = Outcome | "retried";

/** Handler calls take from microseconds (in-memory work) to the retry backoff's seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The counter's series of one `server` and `topic`, by result. */
type Pending = Record<HandlerResult, CounterSeries>;

/** One topic's series of one server: what the hot path updates, with plain arithmetic. */
interface TopicSeries {
  seconds: HistogramSeries;
  handled: Pending;
}

interface Metrics {
  seconds: AccumulatingHistogram;
  handled: Counter<"server" | "topic" | "result">;
  inFlight: Gauge<"server">;
  waiting: Gauge<"server">;
}

/**
 * What the hot path keeps, per metric object (servers of the same name share it, as they share the
 * metric's series), handed to prom-client when the metric is read (its `collect`): one `set` per series
 * and scrape instead of a label lookup per message. The handled counter accumulates likewise
 * ({@link accumulatingCounter}).
 */
const inFlightCounts = new WeakMap<object, Map<string, { value: number }>>();
/** How each server (by name) tells its waiting messages, read when the gauge is. */
const waitingSources = new WeakMap<object, Map<string, () => number>>();

const RESULTS: readonly HandlerResult[] = ["ok", "retried", "retry_tier", "dead_lettered", "failed"];

function setInFlight(this: Gauge<"server">): void {
  for (const [server, count] of inFlightCounts.get(this) ?? []) this.set({ server }, count.value);
}

function setWaiting(this: Gauge<"server">): void {
  for (const [server, count] of waitingSources.get(this) ?? []) this.set({ server }, count());
}

function metricsIn(registry: Registry): Metrics {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    seconds:
      existing<Metrics["seconds"]>(HANDLER_METRICS.seconds) ??
      new AccumulatingHistogram(
        HANDLER_METRICS.seconds,
        "Time of each call of an onEachMessage handler, in seconds.",
        ["server", "topic"],
        BUCKETS,
        registry,
      ),
    handled:
      existing<Metrics["handled"]>(HANDLER_METRICS.handled) ??
      accumulatingCounter({
        name: HANDLER_METRICS.handled,
        help: "Messages handled by a Consumer Server, by result: ok, retry_tier, dead_lettered or failed once per message; retried once per in-place retry.",
        labelNames: ["server", "topic", "result"],
        registers: [registry],
      }),
    inFlight:
      existing<Metrics["inFlight"]>(HANDLER_METRICS.inFlight) ??
      new Gauge({
        name: HANDLER_METRICS.inFlight,
        help: "Messages a Consumer Server is handling now (retries and dead-lettering included).",
        labelNames: ["server"],
        registers: [registry],
        collect: setInFlight,
      }),
    waiting:
      existing<Metrics["waiting"]>(HANDLER_METRICS.waiting) ??
      new Gauge({
        name: HANDLER_METRICS.waiting,
        help: "Messages a Consumer Server fetched that wait for their turn (their key, partition or a free slot of concurrency).",
        labelNames: ["server"],
        registers: [registry],
        collect: setWaiting,
      }),
  };
}

/**
 * The handler metrics of one Consumer Server, as two middlewares: {@link outer} goes outside the failure
 * steps and retry (it counts each delivery's outcome, as the step that decided it set it, and keeps the
 * in-flight count), {@link inner} right around the handler (it times each call). A delivery whose
 * pipeline rejected counts as `failed`. Results count messages: a batch counts each of its messages once.
 *
 * Per message they cost plain arithmetic and two clock reads: the counts reach prom-client when the
 * registry is read, and both stay synchronous when the handler is (see `SyncStep`).
 */
export class HandlerMetrics {
  readonly #metrics: Metrics;
  readonly #series = new Map<string, TopicSeries>();
  /** The last topic's series: a server usually reads one topic, so the map is rarely consulted. */
  #lastTopic: string | undefined;
  #lastSeries: TopicSeries | undefined;
  /** The in-flight count exported for this server's name (shared with any server of the same name). */
  readonly #exported: { value: number };
  #inFlight = 0;

  /** @param server the server's config key, the `server` label */
  constructor(
    private readonly server: string,
    registry: Registry = register,
  ) {
    this.#metrics = metricsIn(registry);
    let byServer = inFlightCounts.get(this.#metrics.inFlight);
    if (byServer === undefined) inFlightCounts.set(this.#metrics.inFlight, (byServer = new Map<string, { value: number }>()));
    let exported = byServer.get(server);
    if (exported === undefined) byServer.set(server, (exported = { value: 0 }));
    exported.value = 0;
    this.#exported = exported;
    this.#metrics.inFlight.set({ server }, 0);
  }

  /** Says how to read the server's waiting messages (the engine's queue); 0 until told. */
  countWaiting(source: () => number): void {
    let byServer = waitingSources.get(this.#metrics.waiting);
    if (byServer === undefined) waitingSources.set(this.#metrics.waiting, (byServer = new Map<string, () => number>()));
    byServer.set(this.server, source);
  }

  /** Messages being handled now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts the messages' final result and keeps the in-flight gauge. */
  readonly outer: Middleware = stepMiddleware((next) => (delivery) => {
    const count = delivery.messages.length;
    const series = this.#seriesOf(delivery.message.topic);
    this.#inFlight += count;
    this.#exported.value += count;
    let result: Promise<void> | undefined;
    try {
      result = next(delivery);
    } catch (error) {
      this.#settled(delivery, count, series, true);
      throw error;
    }
    if (result === undefined) {
      this.#settled(delivery, count, series, false);
      return undefined;
    }
    return result.then(
      () => this.#settled(delivery, count, series, false),
      (error: unknown) => {
        this.#settled(delivery, count, series, true);
        throw error;
      },
    );
  });

  /** Times each handler call. */
  readonly inner: Middleware = stepMiddleware((next) => (delivery) => {
    const series = this.#seriesOf(delivery.message.topic);
    const started = performance.now();
    let result: Promise<void> | undefined;
    try {
      result = next(delivery);
    } catch (error) {
      series.seconds.observe((performance.now() - started) / 1000);
      throw error;
    }
    if (result === undefined) {
      series.seconds.observe((performance.now() - started) / 1000);
      return undefined;
    }
    return result.then(
      () => series.seconds.observe((performance.now() - started) / 1000),
      (error: unknown) => {
        series.seconds.observe((performance.now() - started) / 1000);
        throw error;
      },
    );
  });

  /** A delivery left the outer middleware: `count` messages are no longer in flight; their result is counted. */
  #settled(delivery: Delivery, count: number, series: TopicSeries, failed: boolean): void {
    this.#inFlight -= count;
    this.#exported.value -= count;
    series.handled.retried.pending += delivery.retries;
    // A hard stop abandons the messages (they are read again): no result of their own.
    if (failed && delivery.signal.aborted) return;
    // A middleware that resolved without calling the handler counted the messages as handled.
    const outcome: Outcome = failed ? "failed" : (delivery.outcome ?? "ok");
    // Messages of a batch resolved along the way were handled, whatever became of the rest.
    const remaining = delivery.messages.length;
    if (count > remaining) series.handled.ok.pending += count - remaining;
    series.handled[outcome].pending += remaining;
  }

  #seriesOf(topic: string): TopicSeries {
    if (topic === this.#lastTopic) return this.#lastSeries!;
    let series = this.#series.get(topic);
    if (series === undefined) {
      const labels = { server: this.server, topic };
      series = { seconds: this.#metrics.seconds.series(labels), handled: this.#pendingOf(labels) };
      this.#series.set(topic, series);
    }
    this.#lastTopic = topic;
    this.#lastSeries = series;
    return series;
  }

  /** The handled counter's series of `labels`, one per result (shared by servers of the same name). */
  #pendingOf(labels: Record<"server" | "topic", string>): Pending {
    const handled = this.#metrics.handled;
    return Object.fromEntries(RESULTS.map((result) => [result, counterSeries(handled, { ...labels, result })])) as Pending;
  }
}
