import type { ServerStatus } from "../src/core/index.js";
import { clientStatistics, totalLag, type Component } from "../src/index.js";
import type { Middleware } from "./delivery.js";
import type { Reporter } from "./error-report.js";
import { HandlerMetrics } from "./handler-metrics.js";
import { ProcessSpans } from "./process-span.js";
import { ReadinessTracker, type ServerPhase } from "./readiness.js";

/** The consumer (group) a server reads with, as far as observing it goes. */
export interface ObservedReader {
  /** Its config key, e.g. `kafka.consumerGroups.g1` (the key its statistics are kept under). */
  key: string;
  /** Its group id, if it is a group member. */
  groupID: string | undefined;
  rebalanceTimeoutMs: number;
  /** Whether librdkafka statistics are on for it. */
  statisticsOn: boolean;
}

/**
 * Everything a Consumer Server reports about itself: handler metrics and `process` spans (as
 * middlewares around its pipeline), its phase and last error, and from those and its consumer's
 * statistics its {@link ServerStatus} for the governor.
 */
export class ServerObservability {
  readonly #metrics: HandlerMetrics;
  #spans: ProcessSpans | undefined;
  #reader: ObservedReader | undefined;
  #readiness: ReadinessTracker | undefined;
  #phase: ServerPhase = "new";
  #lastError: { message: string; phase: string; at: string } | undefined;

  constructor(
    private readonly server: string,
    private readonly mode: () => string | undefined,
  ) {
    this.#metrics = new HandlerMetrics(server);
  }

  /** Says which consumer the server reads with (known at init). */
  reading(reader: ObservedReader): void {
    this.#reader = reader;
    this.#readiness = new ReadinessTracker(reader.rebalanceTimeoutMs);
    this.#spans = new ProcessSpans(reader.groupID);
  }

  set phase(phase: ServerPhase) {
    // A failure or stop is final; a late "stopping" must not hide it.
    if (this.#phase === "failed" || (this.#phase === "stopped" && phase === "stopping")) return;
    this.#phase = phase;
  }

  /** `middlewares` (outermost first) with the spans and metrics around them, and around the handler. */
  around(middlewares: readonly Middleware[]): Middleware[] {
    const spans = this.#spans ?? new ProcessSpans(undefined);
    return [spans.outer, this.#metrics.outer, ...middlewares, this.#metrics.inner, spans.inner];
  }

  /** Says how to read the messages waiting for their turn (the waiting gauge). */
  countWaiting(source: () => number): void {
    this.#metrics.countWaiting(source);
  }

  /** A reporter that also keeps the last error for the status. */
  recording(report: Reporter): Reporter {
    return (error, details) => {
      this.#lastError = { message: error.message, phase: details.phase, at: new Date().toISOString() };
      report(error, details);
    };
  }

  status(): ServerStatus {
    const reader = this.#reader;
    const statistics = reader === undefined ? undefined : clientStatistics(reader.key);
    const readiness = this.#readiness?.judge({
      phase: this.#phase,
      statistics,
      inGroup: reader?.groupID !== undefined,
      statisticsOn: reader?.statisticsOn ?? false,
      now: Date.now(),
    }) ?? { ready: false, reason: this.#phase === "new" ? "not started" : this.#phase };
    const partitions = statistics?.partitions ?? [];
    return {
      ready: readiness.ready,
      live: this.#phase !== "failed",
      reason: this.#phase === "failed" ? `failed: ${this.#lastError?.message ?? "see the log"}` : readiness.reason,
      details: {
        kind: "consumerserver",
        mode: this.mode() ?? null,
        phase: this.#phase,
        consumer: reader?.key ?? null,
        group: reader?.groupID ?? null,
        assignment: partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          committedOffset: p.committedOffset,
          highWatermark: p.highWatermark,
          lag: p.lag,
        })),
        lag: totalLag(partitions),
        inFlight: this.#metrics.inFlight,
        brokersUp: statistics?.brokersUp ?? null,
        groupState:
          statistics?.group === undefined
            ? null
            : { state: statistics.group.state, joinState: statistics.group.joinState, rebalances: statistics.group.rebalances },
        statisticsAgeMs: statistics === undefined ? null : Date.now() - statistics.receivedAt,
        lastError: this.#lastError ?? null,
      },
    };
  }
}

/** The consumer (`consumers`) or consumer group (`consumerGroups`) `name` of `component`, for observing. */
export function observedReader(component: Component, tree: "consumers" | "consumerGroups", name: string): ObservedReader {
  const config = component.config[tree][name];
  return {
    key: `${component.key}.${tree}.${name}`,
    groupID: config?.groupID,
    rebalanceTimeoutMs: config?.rebalanceTimeout ?? 60_000,
    statisticsOn: component.config.statisticsInterval > 0,
  };
}
