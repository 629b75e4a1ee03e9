import type { Logger } from "../src/core/index.js";
import type { Message } from "../src/index.js";
import { CommittablePrefix } from "./committable-prefix.js";
import { DueGate } from "./due-gate.js";
import type { Reporter } from "./error-report.js";
import { laneOf, PartitionPauses, partitionOfLane, topicOfLane } from "./partition-pauses.js";
import { PartitionScheduler } from "./partition-scheduler.js";
import type { PollingGroup } from "./subscription.js";

/**
 * Which messages of a server may be handled at the same time: `partition` — one per partition, in offset
 * order; `key` — one per key (messages without a key: one per partition), each key in offset order;
 * `unordered` — any.
 */
export type Ordering = "partition" | "key" | "unordered";

/** One unit of handling: a message (`onEachMessage`) or a run of one partition's messages (`onEachBatch`). */
export type Work = readonly Message[];

/** What a {@link Dispatcher} needs. */
export interface DispatcherOptions {
  ordering: Ordering;
  /** Lanes running at once (Infinity: no limit); lanes of gated topics take no slot. */
  maxRunning: number;
  /** Units of work are batches (`onEachBatch`): they run in partition lanes and store their own offsets. */
  batches: boolean;
  maxQueuedPerPartition: number;
  /** Runs a unit of work once its lane's turn came (and, for a gated topic, once due); undefined when it finished synchronously. */
  run: (work: Work) => Promise<void> | undefined;
  /** A unit of work failed: its lane halts. */
  onFailure: (error: unknown) => void;
  /** The consumer group a topic is read with (for pausing). */
  groupOf: (topic: string) => PollingGroup;
  /** Aborts on any stop: pauses and waits end. */
  stopped: AbortSignal;
  report: Reporter;
  logger: Logger;
}

/**
 * The scheduling half of the consume engine: puts each unit of work in its lane as the server's ordering
 * says (its partition's, its key's, or its own), runs at most `concurrency` lanes at once, holds a
 * retry record back until it is due, pauses a partition that holds too much, and says which offset of
 * a partition may be stored once work finishes (the committable prefix). One dispatcher serves every
 * subscription of an engine.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #scheduler: PartitionScheduler<Work>;
  /** Messages queued or in flight per partition (lanes of one partition together), for back-pressure. */
  readonly #held = new Map<string, number>();
  readonly #prefix = new CommittablePrefix();
  /** Topics whose records wait for a due time: partition lanes, no slot of `concurrency`. */
  readonly #gatedTopics = new Set<string>();
  readonly #pauses: PartitionPauses;
  readonly #gate: DueGate;
  /** The highest offset of the work started so far, by partition (see {@link dropAfterStarted}). */
  readonly #started = new Map<string, number>();

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#scheduler = new PartitionScheduler<Work>(
      (work) => {
        this.#noteStarted(work);
        return options.run(work);
      },
      { onFailure: (_lane, _work, error) => options.onFailure(error), onSettled: (_lane, work) => this.#release(work) },
      (work) => work.length,
      { maxRunning: options.maxRunning, limited: (lane) => this.#gatedTopics.size === 0 || !this.#gatedTopics.has(topicOfLane(lane)) },
    );
    this.#pauses = new PartitionPauses(
      options.maxQueuedPerPartition,
      (partition) => this.#held.get(partition) ?? 0,
      options.groupOf,
      options.stopped,
      { report: options.report, logger: options.logger },
    );
    this.#gate = new DueGate(options.stopped, this.#pauses);
  }

  /** Messages queued or in flight. */
  get size(): number {
    return this.#scheduler.size;
  }

  /** Messages fetched and waiting for their turn, not started yet. */
  get waiting(): number {
    return this.#scheduler.waiting;
  }

  /** Records of these topics wait for their due time (retry topics). */
  gate(topics: readonly string[]): void {
    for (const topic of topics) this.#gatedTopics.add(topic);
  }

  /** Queues a unit of work in its lane. */
  dispatch(work: Work): void {
    const first = work[0]!;
    const partition = laneOf(first);
    // Tracked and held before the push: work that finishes synchronously settles inside it.
    if (!this.#options.batches) this.#prefix.track(partition, first);
    this.#held.set(partition, (this.#held.get(partition) ?? 0) + work.length);
    if (!this.#scheduler.push(this.#laneKey(partition, first), work)) {
      this.#release(work); // its lane failed: the server is stopping
      return;
    }
    this.#pauses.update(partition, first);
  }

  /**
   * Waits until `first`, the head of its partition's lane, is due (see {@link DueGate}).
   * @returns false when the wait was abandoned (revocation, stop)
   */
  untilDue(first: Message, dueMs: number): Promise<boolean> {
    return this.#gate.until(laneOf(first), first, dueMs);
  }

  /**
   * What finished work lets the engine store: batches their own messages; a message the last of its
   * partition's committable prefix, if it completed it (see {@link CommittablePrefix}).
   */
  storable(work: Work, handled: readonly Message[]): readonly Message[] {
    if (this.#options.batches) return handled;
    const upTo = this.#prefix.done(laneOf(work[0]!), work[0]!);
    return upTo === undefined ? [] : [upTo];
  }

  /** Resolves once fewer than `limit` messages are queued or in flight (or on a hard stop). */
  whenSizeBelow(limit: number): Promise<void> {
    return this.#scheduler.whenSizeBelow(limit);
  }

  /**
   * A revocation: drops the partitions' work not started — but for work that comes before work already
   * started on its partition, which is handled (see {@link #fillsGap}) — and abandons their due-time
   * waits, waits for their work in flight, then forgets them (resuming a paused one while it is still assigned).
   * @returns how many messages were dropped
   */
  async revoke(partitions: ReadonlySet<string>): Promise<number> {
    const ofRevoked = (lane: string) => partitions.has(partitionOfLane(lane));
    const droppedWork = this.#scheduler.drop(ofRevoked, (work) => this.#fillsGap(work));
    for (const work of droppedWork) this.#release(work);
    this.#gate.abandon(partitions);
    await this.#scheduler.whenIdle(ofRevoked);
    this.#prefix.forget(partitions);
    this.#pauses.forget(partitions);
    for (const partition of partitions) this.#started.delete(partition);
    return droppedWork.reduce((sum, work) => sum + work.length, 0);
  }

  /** Drops all work not started (a hard stop, a failure): left uncommitted, read again by whoever reads next. */
  dropAll(): void {
    this.#scheduler.drop();
  }

  /**
   * A graceful stop: drops the work not started except what lies before work already started on its
   * partition (see {@link revoke}), which is then handled.
   */
  dropAfterStarted(): void {
    this.#scheduler.drop(undefined, (work) => this.#fillsGap(work));
  }

  /** Resolves once no work is queued or in flight (or on a hard stop). */
  whenIdle(): Promise<void> {
    return this.#scheduler.whenIdle();
  }

  /** A hard stop: every wait resolves at once. */
  interrupt(): void {
    this.#scheduler.interrupt();
  }

  /** The lane a message runs in: its partition's, its key's, or its own, as the ordering says. */
  #laneKey(partition: string, message: Message): string {
    const { ordering, batches } = this.#options;
    if (ordering === "partition" || batches || this.#gatedTopics.has(message.topic)) return partition;
    if (ordering === "unordered") return `${partition}@${message.offset}`;
    return message.key === null ? partition : `${partition}#${message.key.toString("latin1")}`;
  }

  #noteStarted(work: Work): void {
    const partition = laneOf(work[0]!);
    const last = work.at(-1)!.offset;
    if (last > (this.#started.get(partition) ?? -1)) this.#started.set(partition, last);
  }

  /**
   * Whether work not started comes before work already started on its partition. Dropped, it would
   * leave a gap below messages handled meanwhile (another key's, with `ordering = "key"` or
   * `"unordered"`): the committable prefix would stop at the gap, and the next reader would handle
   * those messages again. So a revocation and a graceful stop handle it rather than drop it.
   */
  #fillsGap(work: Work): boolean {
    return work[0]!.offset < (this.#started.get(laneOf(work[0]!)) ?? -1);
  }

  /** Work left its lane (handled, failed or dropped): its partition holds less. */
  #release(work: Work): void {
    const partition = laneOf(work[0]!);
    const held = (this.#held.get(partition) ?? 0) - work.length;
    if (held > 0) this.#held.set(partition, held);
    else this.#held.delete(partition);
    this.#pauses.update(partition, work[0]!);
  }
}
