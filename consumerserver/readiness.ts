import type { ClientStatistics } from "../src/index.js";

/** Where a Consumer Server is in its life. */
export type ServerPhase = "new" | "running" | "stopping" | "stopped" | "failed";

/** What readiness is judged from at one moment. */
export interface ReadinessInput {
  /** The server's phase; only a running server can be ready. */
  phase: ServerPhase;
  /** The latest librdkafka statistics of the server's consumer (group), if any arrived. */
  statistics: ClientStatistics | undefined;
  /** Whether the consumer is a group member (has a groupID); a partition reader has no group to join. */
  inGroup: boolean;
  /** Whether statistics are on (`statisticsInterval` > 0); without them only the phase is known. */
  statisticsOn: boolean;
  /** The time of the judgement in ms since the epoch (`Date.now()`), against which the graces are measured. */
  now: number;
}

/** The verdict, with the reason in words. */
export interface Readiness {
  /** Whether the server does its work now; `/readyz` answers 503 while it does not. */
  ready: boolean;
  /** Why, in words, e.g. "member of the group (3 partitions assigned)" or "no broker reachable (for 12 s)". */
  reason: string;
}

/** How long no broker may be reachable before the server is not ready: a broker restart is no outage. */
export const DEFAULT_UNREACHABLE_GRACE_MS = 10_000;

/**
 * Judges whether a Consumer Server is ready, remembering since when brokers have been unreachable and
 * since when a rebalance has been going on (the two conditions that need a grace before they count):
 *
 * - ready once it runs and (in a group) has joined the group, i.e. librdkafka's group state is `up`
 *   with join state `steady`;
 * - not ready while no broker connection is up for longer than `unreachableGraceMs`;
 * - not ready while a rebalance takes longer than `rebalanceTimeoutMs` (the group's own limit);
 * - ready again as soon as neither holds, without a restart.
 */
export class ReadinessTracker {
  #joinedOnce = false;
  #unreachableSince: number | undefined;
  #rebalancingSince: number | undefined;

  constructor(
    private readonly rebalanceTimeoutMs: number,
    private readonly unreachableGraceMs: number = DEFAULT_UNREACHABLE_GRACE_MS,
  ) {}

  /** The verdict at `input.now`; call it with increasing times, as the graces run from earlier calls. */
  judge(input: ReadinessInput): Readiness {
    if (input.phase !== "running") return { ready: false, reason: input.phase === "new" ? "not started" : input.phase };
    if (!input.statisticsOn) return { ready: true, reason: "running (statisticsInterval is 0: group and broker state unknown)" };
    const statistics = input.statistics;
    if (statistics === undefined) return { ready: false, reason: "connecting: no client statistics yet" };
    const unreachable = this.#unreachable(statistics, input.now);
    if (unreachable !== undefined) return { ready: false, reason: unreachable };
    if (!input.inGroup) return { ready: true, reason: "running" };
    return this.#membership(statistics, input.now);
  }

  #unreachable(statistics: ClientStatistics, now: number): string | undefined {
    if (statistics.brokersUp > 0) {
      this.#unreachableSince = undefined;
      return undefined;
    }
    this.#unreachableSince ??= now;
    const forMs = now - this.#unreachableSince;
    if (forMs <= this.unreachableGraceMs && this.#joinedOnce) return undefined;
    return `no broker reachable (for ${Math.round(forMs / 1000)} s)`;
  }

  #membership(statistics: ClientStatistics, now: number): Readiness {
    const group = statistics.group;
    const steady = group !== undefined && group.state === "up" && group.joinState === "steady";
    if (steady) {
      this.#joinedOnce = true;
      this.#rebalancingSince = undefined;
      return { ready: true, reason: `member of the group (${group.assignedPartitions} partitions assigned)` };
    }
    const state = group === undefined ? "no group state yet" : `group state ${group.state}, join state ${group.joinState}`;
    if (!this.#joinedOnce) return { ready: false, reason: `joining the group (${state})` };
    this.#rebalancingSince ??= now;
    const forMs = now - this.#rebalancingSince;
    if (forMs <= this.rebalanceTimeoutMs) return { ready: true, reason: `rebalancing for ${Math.round(forMs / 1000)} s (${state})` };
    return { ready: false, reason: `rebalancing for ${Math.round(forMs / 1000)} s, longer than the rebalance timeout (${state})` };
  }
}
