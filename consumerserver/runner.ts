import type { Logger } from "../src/core/index.js";
import { AssignedPartitions, Message, RevokedPartitions, type ConsumerGroup, type TopicPartition } from "../src/index.js";
import { MessageDelivery } from "./context.js";
import type { Reporter } from "./error-report.js";
import type { DeliveryHandler } from "./delivery.js";
import { isPermanentFetchError } from "./fetch-error.js";
import { PartitionScheduler } from "./partition-scheduler.js";

/** The part of a ConsumerGroup the runner uses. */
export type PollingGroup = Pick<ConsumerGroup, "poll" | "storeOffsets" | "commitStored" | "pause" | "resume" | "close">;

/** What an {@link EachMessageRunner} needs. */
export interface EachMessageRunnerOptions {
  group: PollingGroup;
  /** The handling pipeline (retry, dead letter, the handler); rejects when a message cannot be handled. */
  handle: DeliveryHandler;
  report: Reporter;
  logger: Logger;
  /** Log one line per handled message. */
  debug: boolean;
  /** Messages queued or in flight before polling waits: 1 handles one message at a time. */
  maxQueued: number;
  /** Messages queued or in flight in one partition before it is paused (only matters above 1). */
  maxQueuedPerPartition: number;
}

// librdkafka's RD_KAFKA_RESP_ERR__NO_OFFSET: a commit found nothing new to commit, which is no failure.
const NO_OFFSET = -168;

/**
 * The `onEachMessage` loop: poll, hand each message to the pipeline, store its offset once handled.
 *
 * Messages go through a {@link PartitionScheduler}, one lane per partition: with `maxQueued` 1 the
 * loop waits for each message before polling again (the sequential mode); above 1 partitions are handled
 * in parallel, each in order, and a partition whose lane grows long is paused.
 *
 * Offsets are stored (`storeOffsets`, no round-trip) only after a message was handled; the group commits
 * them in the background, before a revocation completes, and on close. Since a lane stops at its first
 * failure, nothing after an unhandled message is ever stored — at-least-once.
 */
export class EachMessageRunner {
  readonly #options: EachMessageRunnerOptions;
  readonly #group: PollingGroup;
  readonly #log: Logger;
  /** Aborts polling (any stop, or a failure). */
  readonly #fetching = new AbortController();
  /** Aborts handlers (hard stop only): their ctx.signal. */
  readonly #handling = new AbortController();
  readonly #scheduler: PartitionScheduler<Message>;
  readonly #paused = new Map<string, TopicPartition>();
  #failure: { error: Error } | undefined;
  #hard = false;

  constructor(options: EachMessageRunnerOptions) {
    this.#options = options;
    this.#group = options.group;
    this.#log = options.logger;
    this.#scheduler = new PartitionScheduler<Message>((message) => this.#handle(message), {
      onFailure: (_lane, _message, error) => this.#fail(error as Error),
      onSettled: (lane, _message, queued) => this.#maybeResume(lane, queued),
    });
  }

  /**
   * Polls and handles until stopped or failed, then commits what was handled and closes the group.
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
      this.#handling.abort();
      this.#scheduler.interrupt();
    }
    this.#fetching.abort();
    this.#scheduler.drop();
  }

  async #pollLoop(): Promise<void> {
    const stopped = this.#fetching.signal;
    while (!stopped.aborted) {
      // Bounds the work held; in the sequential mode this is "wait for the handler".
      await this.#scheduler.whenSizeBelow(this.#options.maxQueued);
      if (stopped.aborted) break;
      const event = await this.#poll();
      if (event === undefined || stopped.aborted) break; // a message polled as we stopped is left uncommitted
      if (event instanceof Message) {
        this.#dispatch(event);
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

  /** The next event, or undefined when polling was aborted. */
  async #poll(): Promise<Message | AssignedPartitions | RevokedPartitions | Error | undefined> {
    try {
      return await this.#group.poll({ signal: this.#fetching.signal });
    } catch (error) {
      if (this.#fetching.signal.aborted) return undefined;
      return error instanceof Error ? error : new Error(`poll() rejected with ${String(error)}`);
    }
  }

  #dispatch(message: Message): void {
    const lane = laneOf(message);
    if (!this.#scheduler.push(lane, message)) return; // its partition failed: the server is stopping
    if (this.#scheduler.laneLength(lane) >= this.#options.maxQueuedPerPartition && !this.#paused.has(lane)) {
      this.#pauseOrResume("pause", lane, { topic: message.topic, partition: message.partition, offset: message.offset });
    }
  }

  async #handle(message: Message): Promise<void> {
    const delivery = new MessageDelivery(message, this.#handling.signal, this.#log);
    const started = performance.now();
    await this.#options.handle(delivery);
    if (this.#hard) return; // abandoned by a hard stop; the group may already be closed
    try {
      this.#group.storeOffsets(message);
    } catch (error) {
      // E.g. the partition was revoked under a stale message: its new owner reads it again.
      this.#options.report(error as Error, { phase: "commit", message, retrying: false });
      delivery.logger.warn({ err: error }, "storing the offset of a handled message failed");
      return;
    }
    if (this.#options.debug) delivery.logger.info({ costMs: Math.round(performance.now() - started), attempts: delivery.attempts }, "message handled");
  }

  /**
   * The rebalance contract: the partitions are released when poll() is next called, after the offsets
   * stored for them are committed. So before polling again, every handler of those partitions must
   * have finished and stored its offset. Messages of theirs not started yet are dropped: the new owner
   * reads them from the committed offset.
   */
  async #revoked(event: RevokedPartitions): Promise<void> {
    const lanes = new Set(event.partitions.map(laneOf));
    const dropped = this.#scheduler.drop(lanes).length;
    await this.#scheduler.whenIdle(lanes);
    for (const lane of lanes) {
      // While still assigned: a partition that comes back must not come back paused.
      if (this.#paused.has(lane)) this.#pauseOrResume("resume", lane, this.#paused.get(lane)!);
    }
    this.#log.info({ partitions: event.partitions, dropped }, "partitions revoked");
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

  async #closeGroup(): Promise<void> {
    try {
      await this.#group.commitStored();
    } catch (error) {
      if ((error as { code?: unknown }).code !== NO_OFFSET) {
        this.#options.report(error as Error, { phase: "commit", retrying: false });
        this.#log.error({ err: error }, "committing the stored offsets failed");
      }
    }
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
