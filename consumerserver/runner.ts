import type { Logger } from "../src/core/index.js";
import {
  AssignedPartitions,
  PollTimeoutError,
  RevokedPartitions,
  type ConsumerGroup,
  type Message,
  type TopicPartition,
} from "../src/index.js";
import { BatchDelivery, MessageDelivery } from "./context.js";
import type { DeliveryHandler } from "./delivery.js";
import type { Reporter } from "./error-report.js";
import { isPermanentFetchError } from "./fetch-error.js";
import { PartitionScheduler } from "./partition-scheduler.js";
import { stepOf, type SyncStep } from "./sync-step.js";

/** The part of a ConsumerGroup the runner uses. */
export type PollingGroup = Pick<ConsumerGroup, "pollBatch" | "storeOffsets" | "pause" | "resume" | "close">;

/** What an {@link EachMessageRunner} needs. */
export interface EachMessageRunnerOptions {
  group: PollingGroup;
  /** The handling pipeline (interceptors, middlewares, dead letter, retry, the handler). */
  handle: DeliveryHandler;
  /** `onEachBatch`: the most messages of one partition handed to one handler call; absent for `onEachMessage`. */
  batchSize?: number;
  /** `onEachBatch`: how long to keep polling for more when a poll brought fewer than batchSize (0: not at all). */
  batchWaitMs?: number;
  report: Reporter;
  logger: Logger;
  /** Log one line per handled message (per batch for `onEachBatch`). */
  debug: boolean;
  /** Handle partitions in parallel (each in order); else one message (or batch) at a time. */
  concurrent: boolean;
  /** Messages queued or in flight before polling waits (concurrent mode). */
  maxQueued: number;
  /** Messages queued or in flight in one partition before it is paused (concurrent mode). */
  maxQueuedPerPartition: number;
}

/** One unit of handling: a message (`onEachMessage`) or a run of one partition's messages (`onEachBatch`). */
type Work = readonly Message[];

/** Most messages taken from the consumer group per poll in the sequential modes. */
const POLL_BATCH = 500;

/**
 * The loop of `onEachMessage` and `onEachBatch`: poll, hand each message (or each partition's run of
 * messages) to the pipeline, store the offsets once handled.
 *
 * Sequential mode (the default): a plain loop over the messages each poll returned, one handler call at a
 * time. Concurrent mode: a {@link PartitionScheduler} with one lane per partition; lanes run in
 * parallel, each in order, and a partition whose lane grows long is paused.
 *
 * Offsets are stored (`storeOffsets`, no round-trip) only after a message was handled (or, in a batch,
 * resolved); the group commits them in the background, before a revocation completes, and once on
 * close. Since a partition stops at its first failure, nothing after an unhandled message is ever
 * stored — at-least-once.
 */
export class EachMessageRunner {
  readonly #options: EachMessageRunnerOptions;
  readonly #group: PollingGroup;
  readonly #log: Logger;
  /** Aborts polling (any stop, or a failure). */
  readonly #fetching = new AbortController();
  /** Aborts handlers (hard stop only): their ctx.signal. */
  readonly #handling = new AbortController();
  readonly #scheduler: PartitionScheduler<Work>;
  /** The pipeline, in its synchronous-capable form. */
  readonly #step: SyncStep;
  readonly #paused = new Map<string, TopicPartition>();
  /** Sequential mode: the handler call in flight, which a stop lets finish (graceful) or not (hard). */
  #inFlight: Promise<void> | undefined;
  /**
   * Sequential mode: ends the wait for the handler in flight on a hard stop. A wait of its own per
   * handler call: a race against one promise pending as long as the runner added a reaction to that
   * promise per call, never released (the soak measured about 300 bytes of heap per message: a promise,
   * its resolving functions and a reaction each).
   */
  #wake: (() => void) | undefined;
  #failure: { error: Error } | undefined;
  #hard = false;
  /** Stores one message resolved inside a batch (one function for every batch: see DeliveryBatch). */
  readonly #storeOne = (message: Message): void => void this.#store([message]);
  /** An event met while gathering a batch, handled on the next round. */
  #pending: AssignedPartitions | RevokedPartitions | Error | undefined;

  constructor(options: EachMessageRunnerOptions) {
    this.#options = options;
    this.#group = options.group;
    this.#log = options.logger;
    this.#step = stepOf(options.handle);
    this.#scheduler = new PartitionScheduler<Work>(
      async (work) => this.#handle(work),
      {
        onFailure: (_lane, _work, error) => this.#fail(error as Error),
        onSettled: (lane, _work, queued) => this.#maybeResume(lane, queued),
      },
      (work) => work.length,
    );
  }

  /**
   * Polls and handles until stopped or failed, then closes the group (which commits what was handled).
   * @throws the error that stopped the server (a handler error, a fatal fetch error, a dead-letter error)
   */
  async run(): Promise<void> {
    try {
      await this.#pollLoop();
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error))); // a bug, but stop cleanly
    }
    this.#scheduler.drop(); // not started yet: left uncommitted, redelivered to whoever reads next
    await this.#scheduler.whenIdle(); // in-flight handlers finish and store (a hard stop does not wait)
    if (!this.#hard) await this.#inFlight?.catch(() => undefined);
    await this.#closeGroup();
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /**
   * Stops polling. Graceful: the handlers in flight finish (and their offsets are committed); hard: their
   * `ctx.signal` aborts and the runner does not wait for them — what they finish is not committed.
   */
  stop(graceful: boolean): void {
    if (!graceful) {
      this.#hard = true;
      this.#wake?.();
      this.#handling.abort();
      this.#scheduler.interrupt();
    }
    this.#fetching.abort();
    this.#scheduler.drop();
  }

  async #pollLoop(): Promise<void> {
    const stopped = this.#fetching.signal;
    const { concurrent, maxQueued } = this.#options;
    while (!stopped.aborted) {
      // Bounds the work held (concurrent mode).
      if (concurrent) await this.#scheduler.whenSizeBelow(maxQueued);
      if (stopped.aborted) break;
      const room = concurrent ? Math.max(1, maxQueued - this.#scheduler.size) : POLL_BATCH;
      const event = await this.#poll(room);
      if (event === undefined || stopped.aborted) break; // messages polled as we stopped are left uncommitted
      if (Array.isArray(event)) {
        const work = this.#split(event);
        if (concurrent) for (const item of work) this.#dispatch(item);
        else await this.#handleInOrder(work);
      } else if (event instanceof RevokedPartitions) {
        await this.#revoked(event);
      } else if (event instanceof AssignedPartitions) {
        this.#log.info({ partitions: event.partitions }, "partitions assigned");
      } else if (event instanceof Error) {
        this.#fetchFailed(event);
      } else {
        this.#log.warn({ event }, "poll returned an unknown event; ignored");
      }
    }
  }

  /**
   * The messages polled, or another event; undefined when polling was aborted. With batchWait, polls on
   * until batchSize messages came or the wait is over; an event met meanwhile waits for the next round.
   */
  async #poll(maxMessages: number): Promise<Message[] | AssignedPartitions | RevokedPartitions | Error | undefined> {
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      return pending;
    }
    const first = await this.#pollOnce(maxMessages);
    const { batchSize, batchWaitMs = 0 } = this.#options;
    if (!Array.isArray(first) || batchSize === undefined || batchWaitMs <= 0) return first;
    const messages = first;
    const deadline = Date.now() + batchWaitMs;
    while (messages.length < Math.min(batchSize, maxMessages) && Date.now() < deadline && !this.#fetching.signal.aborted) {
      const more = await this.#pollOnce(maxMessages - messages.length, deadline - Date.now());
      if (more === undefined) break; // the wait is over (or polling stopped)
      if (!Array.isArray(more)) {
        this.#pending = more;
        break;
      }
      messages.push(...more);
    }
    return messages;
  }

  /** One poll; undefined when aborted or (with a timeout) when nothing came in time. */
  async #pollOnce(
    maxMessages: number,
    timeoutMs?: number,
  ): Promise<Message[] | AssignedPartitions | RevokedPartitions | Error | undefined> {
    try {
      return await this.#group.pollBatch({ signal: this.#fetching.signal, maxMessages, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    } catch (error) {
      if (this.#fetching.signal.aborted) return undefined;
      if (timeoutMs !== undefined && error instanceof PollTimeoutError) return undefined;
      return error instanceof Error ? error : new Error(`poll() rejected with ${String(error)}`);
    }
  }

  /**
   * The units of work in a poll's messages: each message on its own (`onEachMessage`), or each
   * partition's consecutive messages, up to batchSize (`onEachBatch`).
   */
  #split(messages: Message[]): Work[] {
    const size = this.#options.batchSize;
    if (size === undefined) return messages.map((message) => [message]);
    // The runs still open (not full) per partition; a fetch brings runs of one partition, so the run is
    // looked up only where the partition changes.
    const open = new Map<string, Message[]>();
    const order: Message[][] = [];
    let run: Message[] | undefined;
    let lastTopic: string | undefined;
    let lastPartition = -1;
    for (const message of messages) {
      if (message.topic !== lastTopic || message.partition !== lastPartition) {
        lastTopic = message.topic;
        lastPartition = message.partition;
        run = open.get(laneOf(message));
      }
      if (run === undefined || run.length >= size) {
        run = [];
        open.set(laneOf(message), run);
        order.push(run);
      }
      run.push(message);
    }
    return order;
  }

  /**
   * Sequential mode: one handler call at a time; a failure or a stop ends the loop, leaving the rest
   * unhandled. A delivery handled synchronously (see {@link SyncStep}) costs no await.
   */
  async #handleInOrder(work: Work[]): Promise<void> {
    for (const item of work) {
      if (this.#fetching.signal.aborted) return;
      let pending: Promise<void> | undefined;
      try {
        pending = this.#handle(item);
      } catch (error) {
        this.#fail(error as Error);
        return;
      }
      if (pending === undefined) continue;
      this.#inFlight = pending;
      try {
        await new Promise<void>((resolve, reject) => {
          this.#wake = resolve;
          pending.then(resolve, reject);
        });
        if (this.#hard) return;
      } catch (error) {
        this.#fail(error as Error);
        return;
      } finally {
        this.#wake = undefined;
        this.#inFlight = undefined;
      }
    }
  }

  #dispatch(work: Work): void {
    const first = work[0]!;
    const lane = laneOf(first);
    if (!this.#scheduler.push(lane, work)) return; // its partition failed: the server is stopping
    if (this.#scheduler.laneLength(lane) >= this.#options.maxQueuedPerPartition && !this.#paused.has(lane)) {
      this.#pauseOrResume("pause", lane, { topic: first.topic, partition: first.partition, offset: first.offset });
    }
  }

  /** Handles one unit of work through the pipeline; undefined when that finished synchronously. */
  #handle(work: Work): Promise<void> | undefined {
    const started = this.#options.debug ? performance.now() : 0;
    const delivery =
      this.#options.batchSize === undefined
        ? new MessageDelivery(work[0]!, this.#handling.signal, this.#log, work)
        : new BatchDelivery(work, this.#handling.signal, this.#log, this.#storeOne);
    const pending = this.#step(delivery);
    if (pending === undefined) {
      this.#handled(delivery, work, started);
      return undefined;
    }
    return pending.then(() => this.#handled(delivery, work, started));
  }

  /** After the pipeline resolved: stores the offsets (and logs the debug line). */
  #handled(delivery: MessageDelivery | BatchDelivery, work: Work, started: number): void {
    if (this.#hard) return; // abandoned by a hard stop; the group may already be closed
    if (!this.#store(delivery.messages)) return;
    if (this.#options.debug) {
      const fields = { costMs: Math.round(performance.now() - started), attempts: delivery.attempts };
      if (this.#options.batchSize === undefined) delivery.logger.info(fields, "message handled");
      else delivery.logger.info({ ...fields, messages: work.length, lastOffset: work.at(-1)!.offset }, "batch handled");
    }
  }

  /** Stores the offsets of handled messages; false (reported) when the group refused them. */
  #store(messages: readonly Message[]): boolean {
    if (messages.length === 0) return true;
    try {
      this.#group.storeOffsets(...messages);
      return true;
    } catch (error) {
      // E.g. the partition was revoked under a stale message: its new owner reads it again.
      this.#options.report(error as Error, { phase: "commit", message: messages[0]!, retrying: false });
      this.#log.warn(
        { err: error, topic: messages[0]!.topic, partition: messages[0]!.partition },
        "storing the offset of a handled message failed",
      );
      return false;
    }
  }

  /**
   * The rebalance contract: the partitions are released when poll() is next called (or
   * `event.release()`), after the offsets stored for them are committed. So before that, every handler
   * of those partitions must have finished and stored its offset. Messages of theirs not started yet are
   * dropped: the new owner reads them from the committed offset.
   */
  async #revoked(event: RevokedPartitions): Promise<void> {
    const lanes = new Set(event.partitions.map(laneOf));
    const dropped = this.#scheduler.drop(lanes).reduce((sum, work) => sum + work.length, 0);
    await this.#scheduler.whenIdle(lanes);
    for (const lane of lanes) {
      // While still assigned: a partition that comes back must not come back paused.
      if (this.#paused.has(lane)) this.#pauseOrResume("resume", lane, this.#paused.get(lane)!);
    }
    this.#log.info({ partitions: event.partitions, dropped }, "partitions revoked");
    await event.release();
  }

  #maybeResume(lane: string, queued: number): void {
    const partition = this.#paused.get(lane);
    if (partition === undefined || this.#fetching.signal.aborted) return;
    if (queued <= Math.floor(this.#options.maxQueuedPerPartition / 2)) this.#pauseOrResume("resume", lane, partition);
  }

  #pauseOrResume(action: "pause" | "resume", lane: string, partition: TopicPartition): void {
    try {
      this.#group[action]([{ topic: partition.topic, partition: partition.partition }]);
      if (action === "pause") this.#paused.set(lane, partition);
      else this.#paused.delete(lane);
    } catch (error) {
      // Not fatal: a partition left running only makes its queue longer; one left paused is resumed
      // by the next revocation or the next try.
      this.#paused.delete(lane);
      this.#options.report(error as Error, { phase: "commit", retrying: true });
      this.#log.warn({ err: error, topic: partition.topic, partition: partition.partition }, `${action} failed`);
    }
  }

  /**
   * A fetch error: a fatal one stops the server; any other is reported and polling goes on (the consumer
   * group backs off before its next fetch, see `readBackoffMin`).
   */
  #fetchFailed(error: Error): void {
    const permanent = isPermanentFetchError(error);
    this.#options.report(error, { phase: "fetch", retrying: !permanent });
    if (permanent) {
      this.#log.error({ err: error }, "fatal fetch error; stopping");
      this.#fail(error);
      return;
    }
    this.#log.warn({ err: error }, "fetch error; polling again");
  }

  /** Stops polling and keeps the first failure for run() to reject with. */
  #fail(error: Error): void {
    if (this.#hard) return; // an aborted handler's error, after a hard stop
    if (this.#failure === undefined) {
      this.#failure = { error };
      this.#log.error({ err: error }, "consumption failed; stopping without committing the failed message");
    }
    this.#fetching.abort();
    this.#scheduler.drop();
  }

  /** Closing the group commits the stored offsets (once) and leaves the group. */
  async #closeGroup(): Promise<void> {
    try {
      await this.#group.close();
    } catch (error) {
      this.#options.report(error as Error, { phase: "close", retrying: false });
      this.#log.error({ err: error }, "closing the consumer group failed");
    }
  }
}

/** The scheduler lane of a message or partition. */
export function laneOf(partition: { topic: string; partition: number }): string {
  return `${partition.topic}/${partition.partition}`;
}
