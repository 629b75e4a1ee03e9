import { Counter, Gauge, Histogram, register, type Registry } from "prom-client";
import type { Delivery } from "./context.js";
import type { Middleware } from "./middleware.js";

/** Names of the Consumer Server's handler metrics. */
export const HANDLER_METRICS = Object.freeze({
  seconds: "ekafka_consumerserver_handler_seconds",
  handled: "ekafka_consumerserver_handled_total",
  inFlight: "ekafka_consumerserver_in_flight_messages",
});

/**
 * `result` of {@link HANDLER_METRICS.handled}: one of `ok`, `dead_lettered` or `failed` per message, and
 * one `retried` per retry of a message.
 */
export type HandlerResult = "ok" | "retried" | "dead_lettered" | "failed";

/** Handler calls take from microseconds (in-memory work) to the retry backoff's seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type TopicSeries = { seconds: { observe(value: number): void } } & Record<HandlerResult, { inc(): void }>;

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
      new Histogram({ name: HANDLER_METRICS.seconds, help: "Time of each call of an onEachMessage handler, in seconds.", labelNames: ["server", "topic"], buckets: BUCKETS, registers: [registry] }),
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
      new Gauge({ name: HANDLER_METRICS.inFlight, help: "Messages a Consumer Server is handling now (retries and dead-lettering included).", labelNames: ["server"], registers: [registry] }),
  };
}

/**
 * The handler metrics of one Consumer Server, as two middlewares: {@link outer} goes outside dead letter
 * and retry (it sees a message's final result and keeps the in-flight count), {@link inner} right around
 * the handler (it times each call and sees each retry). A message that failed its last call but left the
 * outer middleware without an error was parked by the dead-letter middleware.
 */
export class HandlerMetrics {
  readonly #metrics: Metrics;
  readonly #lastCallFailed = new WeakMap<Delivery, boolean>();
  /** Label lookups cost more than the observation: the series of each topic are resolved once. */
  readonly #series = new Map<string, TopicSeries>();
  readonly #inFlightSeries: { inc(): void; dec(): void };
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

  /** Counts the message's final result and keeps the in-flight gauge. */
  readonly outer: Middleware = (next) => async (delivery) => {
    this.#inFlight++;
    this.#inFlightSeries.inc();
    let result: HandlerResult | undefined;
    try {
      await next(delivery);
      result = this.#lastCallFailed.get(delivery) === true ? "dead_lettered" : "ok";
    } catch (error) {
      // A hard stop abandons the message (it is read again): no result of its own.
      if (!delivery.signal.aborted) result = "failed";
      throw error;
    } finally {
      this.#inFlight--;
      this.#inFlightSeries.dec();
      if (result !== undefined) this.#count(delivery, result);
    }
  };

  /** Times each handler call and counts each retry. */
  readonly inner: Middleware = (next) => async (delivery) => {
    if (delivery.attempts > 0) this.#count(delivery, "retried");
    const started = performance.now();
    try {
      await next(delivery);
      this.#lastCallFailed.set(delivery, false);
    } catch (error) {
      this.#lastCallFailed.set(delivery, true);
      throw error;
    } finally {
      this.#seriesOf(delivery.message.topic).seconds.observe((performance.now() - started) / 1000);
    }
  };

  #count(delivery: Delivery, result: HandlerResult): void {
    this.#seriesOf(delivery.message.topic)[result].inc();
  }

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
