import { AssignedPartitions, ClosedError, Message, RevokedPartitions, type ConsumerGroup } from "../../src/index.js";
import type { Logger } from "../../src/core/index.js";
import { BatchDelivery, MessageDelivery } from "../context.js";
import { delay } from "../delay.js";
import type { Reporter } from "../error-report.js";
import { isPermanentFetchError } from "../fetch-error.js";
import type { DeliveryHandler } from "../delivery.js";
import { setTierState } from "./delivery-state.js";
import { stateOf } from "./headers.js";

/** The part of a ConsumerGroup the reader uses. */
export type TierGroup = Pick<ConsumerGroup, "poll" | "storeOffsets" | "pause" | "resume" | "close">;

/** What a {@link RetryTierReader} needs. */
export interface RetryTierReaderOptions {
  /** A member of the retry group, subscribed to every retry topic of the server. */
  group: TierGroup;
  /** The handling pipeline of a due record: the retry-tier step around the handler. */
  handle: DeliveryHandler;
  /** The tier (1 for the first) whose retry topic `topic` is. */
  tierOfTopic(topic: string): number;
  report: Reporter;
  logger: Logger;
  /** Log one line per handled record. */
  debug: boolean;
  /**
   * `onEachBatch`: each due record goes to the handler as a batch of one (records of a retry partition
   * fall due one by one, each with its own history); else as a message.
   */
  batches: boolean;
  /** Records held for one partition before it is paused (besides the pause while its head is not due). */
  maxQueuedPerPartition: number;
}

/** One retry partition's records, handled in order, the head waiting until it is due. */
interface Lane {
  readonly topic: string;
  readonly partition: number;
  readonly queue: Message[];
  /** The highest offset queued, so a record fetched again after a resume is not queued twice. */
  lastOffset: number;
  /** A drain is running. */
  busy: boolean;
  /** Aborts the wait for the head's due time (revocation, stop). */
  wait: AbortController | undefined;
  paused: boolean;
  /** Revoked: finish the record being handled, start no other. */
  gone: boolean;
}

// Node fires a longer timer at once; a longer wait is taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The reading half of retry tiers: consumes the server's retry topics and hands each record to the
 * handler once it is due, without holding up anything else. A record not due yet stays at the head of
 * its partition's lane while that partition is paused (no fetching, no sleeping handler); other
 * partitions, and the server's own topics, go on. At the due time the partition resumes and the record
 * goes through the pipeline; its offset is stored once that succeeded (handled, or moved on to the next
 * tier or the dead-letter topic). A revocation or a stop abandons the waits: those records are read
 * again, uncommitted, by whoever reads next.
 */
export class RetryTierReader {
  readonly #options: RetryTierReaderOptions;
  readonly #group: TierGroup;
  readonly #log: Logger;
  readonly #lanes = new Map<string, Lane>();
  /** Aborts polling and the waits (any stop, or a failure). */
  readonly #fetching = new AbortController();
  /** Aborts the handlers (hard stop only). */
  readonly #handling = new AbortController();
  #idleWaiters: Array<() => void> = [];
  #failure: { error: Error } | undefined;
  #hard = false;

  constructor(options: RetryTierReaderOptions) {
    this.#options = options;
    this.#group = options.group;
    this.#log = options.logger;
  }

  /**
   * Polls and handles due records until stopped or failed, then closes the group (which commits what was handled).
   * @throws the error that stopped it (a fatal fetch error, a failed write to the next tier)
   */
  async run(): Promise<void> {
    try {
      await this.#pollLoop();
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
    this.#abandonWaits(this.#lanes.values());
    if (!this.#hard) await this.#whenIdle(this.#lanes.values());
    await this.#close();
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Stops polling and waiting; graceful lets the handlers in flight finish, hard aborts them. */
  stop(graceful: boolean): void {
    if (!graceful) {
      this.#hard = true;
      this.#handling.abort();
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
    this.#fetching.abort();
    this.#abandonWaits(this.#lanes.values());
  }

  async #pollLoop(): Promise<void> {
    const stopped = this.#fetching.signal;
    while (!stopped.aborted) {
      const event = await this.#poll();
      if (event === undefined || stopped.aborted) break; // a record polled as we stopped is left uncommitted
      if (event instanceof Message) {
        this.#dispatch(event);
      } else if (event instanceof RevokedPartitions) {
        await this.#revoked(event);
      } else if (event instanceof AssignedPartitions) {
        this.#log.info({ partitions: event.partitions }, "retry partitions assigned");
      } else if (event instanceof Error) {
        this.#fetchFailed(event);
      }
    }
  }

  /** The next event, or undefined when polling was aborted. */
  async #poll(): Promise<Message | AssignedPartitions | RevokedPartitions | Error | undefined> {
    try {
      return await this.#group.poll({ signal: this.#fetching.signal });
    } catch (error) {
      if (this.#fetching.signal.aborted) return undefined;
      if (error instanceof ClosedError) {
        this.#fail(error); // closed under the reader (its component was closed): polling again cannot help
        return undefined;
      }
      return error instanceof Error ? error : new Error(`poll() rejected with ${String(error)}`);
    }
  }

  #dispatch(message: Message): void {
    const key = `${message.topic}/${message.partition}`;
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = {
        topic: message.topic,
        partition: message.partition,
        queue: [],
        lastOffset: -1,
        busy: false,
        wait: undefined,
        paused: false,
        gone: false,
      };
      this.#lanes.set(key, lane);
    }
    if (message.offset <= lane.lastOffset) return; // fetched again after a resume: queued already
    lane.lastOffset = message.offset;
    lane.queue.push(message);
    this.#updatePause(lane);
    if (!lane.busy) void this.#drain(lane);
  }

  /** Handles the lane's records in order, each once it is due; stops at a revocation, a stop or a failure. */
  async #drain(lane: Lane): Promise<void> {
    lane.busy = true;
    try {
      for (;;) {
        const message = lane.queue[0];
        if (message === undefined || lane.gone || this.#fetching.signal.aborted) break;
        const state = stateOf(message, this.#options.tierOfTopic(message.topic));
        if (!(await this.#untilDue(lane, state.dueMs))) break;
        lane.queue.shift();
        this.#updatePause(lane);
        const delivery = this.#deliveryOf(message);
        delivery.attempts = state.attempts;
        setTierState(delivery, state);
        const started = performance.now();
        await this.#options.handle(delivery);
        if (this.#hard) break; // abandoned by a hard stop; the group may already be closed
        this.#group.storeOffsets(message);
        if (this.#options.debug) {
          delivery.logger.info(
            { costMs: Math.round(performance.now() - started), attempts: delivery.attempts, tier: state.tier },
            "retry record handled",
          );
        }
      }
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      lane.busy = false;
      this.#checkIdle();
    }
  }

  /** The delivery of a due record: a message, or (`onEachBatch`) a batch of one. */
  #deliveryOf(message: Message): MessageDelivery | BatchDelivery {
    if (!this.#options.batches) return new MessageDelivery(message, this.#handling.signal, this.#log);
    return new BatchDelivery([message], this.#handling.signal, this.#log, (resolved) => this.#group.storeOffsets(resolved));
  }

  /**
   * Waits, with the lane's partition paused, until `dueMs`.
   * @returns false when the wait was abandoned (revocation, stop)
   */
  async #untilDue(lane: Lane, dueMs: number | undefined): Promise<boolean> {
    if (dueMs === undefined || dueMs <= Date.now()) return true;
    const wait = new AbortController();
    lane.wait = wait;
    this.#updatePause(lane);
    // A timer may fire a little early on a coarse clock: wait until the time has really come.
    let due = true;
    for (let waitMs = dueMs - Date.now(); due && waitMs > 0; waitMs = dueMs - Date.now())
      due = await delay(Math.min(waitMs, MAX_TIMER_MS), wait.signal);
    lane.wait = undefined;
    return due && !lane.gone && !this.#fetching.signal.aborted;
  }

  /** Pauses the lane's partition while its head waits or its queue is long; resumes it otherwise. */
  #updatePause(lane: Lane): void {
    if (lane.gone || this.#fetching.signal.aborted) return;
    const pause = lane.wait !== undefined || lane.queue.length >= this.#options.maxQueuedPerPartition;
    if (pause !== lane.paused) this.#pauseOrResume(lane, pause);
  }

  #pauseOrResume(lane: Lane, pause: boolean): void {
    const partitions = [{ topic: lane.topic, partition: lane.partition }];
    try {
      if (pause) this.#group.pause(partitions);
      else this.#group.resume(partitions);
      lane.paused = pause;
    } catch (error) {
      // Not fatal: a partition left running only fetches records that queue behind the head; one left
      // paused is tried again on the lane's next change, and resumed at the latest by a revocation.
      this.#options.report(error as Error, { phase: "commit", retrying: true });
      this.#log.warn(
        { err: error, topic: lane.topic, partition: lane.partition },
        `${pause ? "pause" : "resume"} of a retry partition failed`,
      );
    }
  }

  /**
   * Before the next poll releases the partitions, their handlers in flight finish and store their
   * offsets; records waiting or queued are dropped, for the next owner to read from the committed offset.
   */
  async #revoked(event: RevokedPartitions): Promise<void> {
    const lanes: Lane[] = [];
    for (const partition of event.partitions) {
      const lane = this.#lanes.get(`${partition.topic}/${partition.partition}`);
      if (lane !== undefined) lanes.push(lane);
    }
    let dropped = 0;
    for (const lane of lanes) {
      lane.gone = true;
      dropped += lane.queue.length;
    }
    this.#abandonWaits(lanes);
    await this.#whenIdle(lanes);
    for (const lane of lanes) {
      lane.queue.length = 0;
      // While still assigned: a partition that comes back must not come back paused.
      if (lane.paused) {
        lane.gone = false;
        this.#pauseOrResume(lane, false);
        lane.gone = true;
      }
      this.#lanes.delete(`${lane.topic}/${lane.partition}`);
    }
    this.#log.info({ partitions: event.partitions, dropped }, "retry partitions revoked");
  }

  #abandonWaits(lanes: Iterable<Lane>): void {
    for (const lane of lanes) lane.wait?.abort();
  }

  #whenIdle(lanes: Iterable<Lane>): Promise<void> {
    const list = [...lanes];
    const idle = () => this.#hard || list.every((lane) => !lane.busy);
    if (idle()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (idle()) resolve();
        else this.#idleWaiters.push(check);
      };
      this.#idleWaiters.push(check);
    });
  }

  #checkIdle(): void {
    for (const check of this.#idleWaiters.splice(0)) check();
  }

  /** A fatal fetch error stops the server; any other is reported (the group backs off before its next fetch, see `readBackoffMin`). */
  #fetchFailed(error: Error): void {
    const permanent = isPermanentFetchError(error);
    this.#options.report(error, { phase: "fetch", retrying: !permanent });
    if (permanent) this.#fail(error);
    else this.#log.warn({ err: error }, "fetch error on the retry topics; polling again");
  }

  /** Stops polling and keeps the first failure for run() to reject with. */
  #fail(error: Error): void {
    if (this.#hard) return;
    if (this.#failure === undefined) {
      this.#failure = { error };
      this.#log.error({ err: error }, "retry tiers failed; stopping without committing the failed record");
    }
    this.#fetching.abort();
    this.#abandonWaits(this.#lanes.values());
  }

  /** Closing the group commits the stored offsets (once, see the offset ledger) and leaves the group. */
  async #close(): Promise<void> {
    try {
      await this.#group.close();
    } catch (error) {
      this.#options.report(error as Error, { phase: "close", retrying: false });
      this.#log.error({ err: error }, "closing the retry group failed");
    }
  }
}
