import type { Logger } from "../src/core/index.js";
import type { Reporter } from "./error-report.js";
import type { PollingGroup } from "./subscription.js";

/** Lane names made so far, by topic and partition (see {@link laneOf}). */
const laneNames = new Map<string, string[]>();

/**
 * The lane (scheduler key) of a message's partition: `topic/partition`. The same string object every
 * time: the engine looks a partition up in several maps per message, and a string made afresh is hashed
 * afresh at each lookup (and is garbage after it). Bounded by the partitions the process reads.
 */
export function laneOf(partition: { topic: string; partition: number }): string {
  let byPartition = laneNames.get(partition.topic);
  if (byPartition === undefined) laneNames.set(partition.topic, (byPartition = []));
  return (byPartition[partition.partition] ??= `${partition.topic}/${partition.partition}`);
}

// A topic name has only [a-zA-Z0-9._-]: the first "#" (a key's lane) or "@" (a message's own lane) ends the partition's part.
const LANE_SUFFIX = /[#@]/;

/** The partition lane a lane belongs to: `topic/partition`, without the key or offset of a key or message lane. */
export function partitionOfLane(lane: string): string {
  const suffix = lane.search(LANE_SUFFIX);
  return suffix < 0 ? lane : lane.slice(0, suffix);
}

/** The topic of a lane. */
export function topicOfLane(lane: string): string {
  const partition = partitionOfLane(lane);
  return partition.slice(0, partition.lastIndexOf("/"));
}

/** What {@link PartitionPauses} reports through. */
export interface PausesReporting {
  report: Reporter;
  logger: Logger;
}

/**
 * Back-pressure per partition: pauses fetching a partition while its lane holds `max` messages or more,
 * or while the record at its head waits for its due time, and resumes it once the lane is down to half
 * of `max` and nothing waits. Pausing is not fatal when it fails: a partition left running only makes
 * its lane longer; one left paused is tried again on the lane's next change.
 */
export class PartitionPauses {
  readonly #paused = new Map<string, { topic: string; partition: number }>();
  readonly #waiting = new Set<string>();

  constructor(
    private readonly max: number,
    /** Messages a partition holds, queued or in flight, by its lane (`topic/partition`). */
    private readonly lengthOf: (partition: string) => number,
    private readonly groupOf: (topic: string) => PollingGroup,
    private readonly stopped: AbortSignal,
    private readonly reporting: PausesReporting,
  ) {}

  /** The lane of `partition` changed (a message queued or settled): pause or resume as its length says. */
  update(lane: string, partition: { topic: string; partition: number }): void {
    if (this.stopped.aborted) return;
    const length = this.lengthOf(lane);
    const waiting = this.#waiting.has(lane);
    const paused = this.#paused.has(lane);
    if (!paused && (waiting || length >= this.max)) this.#set("pause", lane, partition);
    else if (paused && !waiting && length <= Math.floor(this.max / 2)) this.#set("resume", lane, partition);
  }

  /** The head of the lane starts (true) or stops (false) waiting for its due time. */
  waiting(lane: string, partition: { topic: string; partition: number }, on: boolean): void {
    if (on) this.#waiting.add(lane);
    else this.#waiting.delete(lane);
    this.update(lane, partition);
  }

  /** Revoked lanes: resumed while still assigned, so that a partition that comes back does not come back paused. */
  forget(lanes: ReadonlySet<string>): void {
    for (const lane of lanes) {
      this.#waiting.delete(lane);
      const partition = this.#paused.get(lane);
      if (partition !== undefined) this.#set("resume", lane, partition);
    }
  }

  #set(action: "pause" | "resume", lane: string, partition: { topic: string; partition: number }): void {
    const only = [{ topic: partition.topic, partition: partition.partition }];
    try {
      this.groupOf(partition.topic)[action](only);
      if (action === "pause") this.#paused.set(lane, only[0]!);
      else this.#paused.delete(lane);
    } catch (error) {
      this.#paused.delete(lane);
      this.reporting.report(error as Error, { phase: "commit", retrying: true });
      this.reporting.logger.warn({ err: error, topic: partition.topic, partition: partition.partition }, `${action} failed`);
    }
  }
}
