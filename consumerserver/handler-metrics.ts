import { Counter, Gauge, Histogram, register, type Registry } from "prom-client";
import type { Middleware } from "./delivery.js";

/** Names of the Consumer Server's handler metrics. */
export const HANDLER_METRICS = Object.freeze({
  /** Histogram (server, topic): time of each call of an `onEachMessage` handler, in seconds. */
  seconds: "ekafka_consumerserver_handler_seconds",
  /** Counter (server, topic, result): messages handled, by {@link HandlerResult}. */
  handled: "ekafka_consumerserver_handled_total",
  /** Gauge (server): messages being handled now, retries and dead-lettering included. */
  inFlight: "ekafka_consumerserver_in_flight_messages",
});

/**
 * The `result` label of the `ekafka_consumerserver_handled_total` counter ({@link HANDLER_METRICS}): one of `ok`, `dead_lettered` or `failed` per message, and
 * one `retried` per retry of a message.
 */
export type HandlerResult = "ok" | "retried" | "dead_lettered" | "failed";

/** Handler calls take from microseconds (in-memory work) to the retry backoff's seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type TopicSeries = { seconds: { observe(value: number): void } } & Record<HandlerResult, { inc(value?: number): void }>;

interface Metrics {
  seconds: Histogram<"server" | "topic">;
  handled: Counter<"server" | "topic" | "result">;
  inFlight: Gauge<"server">;
}

function metricsIn(registry: Registry): Metrics {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    seconds:
      existing<Metrics["seconds"]>(HANDLER_METRICS.seconds) ??
      new Histogram({
        name: HANDLER_METRICS.seconds,
        help: "Time of each call of an onEachMessage handler, in seconds.",
        labelNames: ["server", "topic"],
        buckets: BUCKETS,
        registers: [registry],
      }),
    handled:
      existing<Metrics["handled"]>(HANDLER_METRICS.handled) ??
      new Counter({
        name: HANDLER_METRICS.handled,
        help: "Messages handled by a Consumer Server, by result: ok, dead_lettered or failed once per message; retried once per retry.",
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
      }),
  };
}

/**
 * The handler metrics of one Consumer Server, as two middlewares: {@link outer} goes outside dead letter
 * and retry (it sees the final result and keeps the in-flight count), {@link inner} right around the
 * handler (it times each call and counts each retry). A delivery that leaves the outer middleware
 * without an error while its last handler call failed (`delivery.error`) was parked by the dead-letter
 * middleware. Results count messages: a batch counts each of its messages once.
 */
export class HandlerMetrics {
  readonly #metrics: Metrics;
  /** Label lookups cost more than the observation: the series of each topic are resolved once. */
  readonly #series = new Map<string, TopicSeries>();
  readonly #inFlightSeries: { inc(value?: number): void; dec(value?: number): void };
  #inFlight = 0;

  /** @param server the server's config key, the `server` label */
  constructor(
    private readonly server: string,
    registry: Registry = register,
  ) {
    this.#metrics = metricsIn(registry);
    this.#inFlightSeries = this.#metrics.inFlight.labels({ server });
    this.#metrics.inFlight.set({ server }, 0);
  }

  /** Messages being handled now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts the messages' final result and keeps the in-flight gauge. */
  readonly outer: Middleware = (next) => async (delivery) => {
    const count = delivery.messages.length;
    const topic = delivery.message.topic;
    this.#inFlight += count;
    this.#inFlightSeries.inc(count);
    let last: HandlerResult | undefined;
    try {
      await next(delivery);
      last = delivery.error === undefined ? "ok" : "dead_lettered";
    } catch (error) {
      // A hard stop abandons the messages (they are read again): no result of their own.
      if (!delivery.signal.aborted) last = "failed";
      throw error;
    } finally {
      this.#inFlight -= count;
      this.#inFlightSeries.dec(count);
      // Messages of a batch resolved along the way were handled, whatever became of the rest.
      const remaining = delivery.messages.length;
      if (last !== undefined) {
        const series = this.#seriesOf(topic);
        if (count > remaining) series.ok.inc(count - remaining);
        series[last].inc(remaining);
      }
    }
  };

  /** Times each handler call and counts each retry. */
  readonly inner: Middleware = (next) => async (delivery) => {
    const series = this.#seriesOf(delivery.message.topic);
    if (delivery.attempts > 0) series.retried.inc();
    const started = performance.now();
    try {
      await next(delivery);
    } finally {
      series.seconds.observe((performance.now() - started) / 1000);
    }
  };

  #seriesOf(topic: string): TopicSeries {
    let series = this.#series.get(topic);
    if (series === undefined) {
      const labels = { server: this.server, topic };
      const handled = (result: HandlerResult) => this.#metrics.handled.labels({ ...labels, result });
      series = {
        seconds: this.#metrics.seconds.labels(labels),
        ok: handled("ok"),
        retried: handled("retried"),
        dead_lettered: handled("dead_lettered"),
        failed: handled("failed"),
      };
      this.#series.set(topic, series);
    }
    return series;
  }
}
