import type { Logger } from "../src/core/index.js";
import { AssignedPartitions, RevokedPartitions, type Message } from "../src/index.js";
import { BatchDelivery, MessageDelivery } from "./context.js";
import type { DeliveryHandler } from "./delivery.js";
import type { Reporter } from "./error-report.js";
import { isPermanentFetchError } from "./fetch-error.js";
import { Dispatcher, type Ordering, type Work } from "./dispatcher.js";
import { laneOf } from "./partition-pauses.js";
import { partitionRuns } from "./partition-runs.js";
import { Reading } from "./reading.js";
import type { Subscription } from "./subscription.js";
import { stepOf, type SyncStep } from "./sync-step.js";

/** What an {@link Engine} needs. */
export interface EngineOptions {
  /** What it reads: the server's topics, and with retry tiers the retry topics. */
  subscriptions: readonly Subscription[];
  /** The handling pipeline (observability, interceptors, middlewares, failure steps, the handler): one for every subscription. */
  handle: DeliveryHandler;
  /** `onEachBatch`: the most messages of one partition handed to one handler call; absent for `onEachMessage`. */
  batchSize?: number;
  /** `onEachBatch`: how long to keep polling for more when a poll brought fewer than batchSize (0: not at all). */
  batchWaitMs?: number;
  report: Reporter;
  logger: Logger;
  /** Log one line per handled message (per batch for `onEachBatch`). */
  debug: boolean;
  /** Which messages may run at once (see {@link Ordering}). */
  ordering: Ordering;
  /** Messages (batches) in flight at once; 1 with `partitionConcurrency` off: one at a time, in the poll loop. */
  concurrency: number;
  /** One message (batch) per partition in flight, as many partitions as are assigned (unless `concurrency` caps them). */
  partitionConcurrency: boolean;
  /** Messages queued or in flight before polling waits (messages handled in lanes). */
  maxQueued: number;
  /** Messages queued or in flight in one partition before it is paused. */
  maxQueuedPerPartition: number;
}

export type { Ordering } from "./dispatcher.js";

/**
 * The one consume engine of the Consumer Server: every subscription — the server's topics and, with
 * retry tiers, the retry topics — is polled by the same loop, handed to the same pipeline, stored,
 * revoked, stopped and closed by the same code.
 *
 * Scheduling: the server's topics are handled one message (or batch) at a time in the poll loop, or, with
 * `concurrency` above 1 or partition concurrency, in lanes of its {@link Dispatcher} (per partition, per
 * key or per message, as `ordering` says); a subscription with due times (a retry topic) always uses
 * lanes, so a record waiting for its time holds up only its own partition, which stays paused meanwhile.
 *
 * Offsets are stored (no round trip) only after the pipeline resolved for a message (or a batch's
 * message was resolved); the consumer group commits them in the background, before a revocation
 * completes and once on close. A partition stops at its first failure, so nothing after an unhandled
 * message is ever stored: at-least-once.
 */
export class Engine {
  readonly #options: EngineOptions;
  readonly #log: Logger;
  readonly #readings: Reading[];
  readonly #bySubscriptionTopic = new Map<string, Reading>();
  /** Aborts polling and due-time waits (any stop, or a failure). */
  readonly #fetching = new AbortController();
  /** Aborts handlers (hard stop only): their ctx.signal. */
  readonly #handling = new AbortController();
  readonly #lanes: Dispatcher;
  /** The pipeline, in its synchronous-capable form. */
  readonly #step: SyncStep;
  /** One-at-a-time mode: the handler call in flight, which a stop lets finish (graceful) or not (hard). */
  #inFlight: Promise<void> | undefined;
  /**
   * One-at-a-time mode: ends the wait for the handler in flight on a hard stop. A wait of its own per
   * handler call: a race against one promise pending for the engine's life added a reaction to that
   * promise per call, never released (about 300 bytes of heap per message).
   */
  #wake: (() => void) | undefined;
  #failure: { error: Error } | undefined;
  #hard = false;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#step = stepOf(options.handle);
    this.#lanes = new Dispatcher({
      ordering: options.ordering,
      maxRunning: options.concurrency > 1 ? options.concurrency : Infinity,
      batches: options.batchSize !== undefined,
      maxQueuedPerPartition: options.maxQueuedPerPartition,
      run: (work) => this.#runLaned(work),
      onFailure: (error) => this.#fail(error as Error),
      groupOf: (topic) => this.#readingOf(topic).subscription.group,
      stopped: this.#fetching.signal,
      report: options.report,
      logger: options.logger,
    });
    this.#readings = options.subscriptions.map((subscription) => this.#reading(subscription));
  }

  /**
   * Polls and handles until stopped or failed, then closes every consumer group (which commits what was handled).
   * @throws the error that stopped the server (a handler error, a fatal fetch error, a failed dead-letter or retry-tier write)
   */
  async run(): Promise<void> {
    await Promise.all(
      this.#readings.map((reading) =>
        this.#pollLoop(reading).catch((error: unknown) => this.#fail(error instanceof Error ? error : new Error(String(error)))),
      ),
    );
    this.#dropNotStarted();
    await this.#lanes.whenIdle(); // in-flight handlers finish and store (a hard stop does not wait)
    if (!this.#hard) await this.#inFlight?.catch(() => undefined);
    await Promise.all(this.#readings.map((reading) => reading.revoking));
    await Promise.all(this.#readings.map((reading) => this.#close(reading)));
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Messages fetched and waiting for their turn (their key, partition or a free slot), not started yet. */
  get waiting(): number {
    return this.#lanes.waiting;
  }

  /**
   * Stops polling. Graceful: the handlers in flight finish, and so do the messages queued behind a key
   * that come before one already started on their partition (their offsets are committed: nothing
   * handled is read again); hard: their `ctx.signal` aborts and the engine does not wait for them — what
   * they finish is not committed.
   * Records waiting for their due time are left uncommitted either way.
   */
  stop(graceful: boolean): void {
    if (!graceful) {
      this.#hard = true;
      this.#wake?.();
      this.#handling.abort();
      this.#lanes.interrupt();
    }
    this.#fetching.abort();
    this.#dropNotStarted();
  }

  /**
   * The work not started yet is left uncommitted, read again by whoever reads next — except, unless
   * stopping hard or on a failure, what lies before messages already started on its partition: handled,
   * so that the committed offset covers every message handled.
   */
  #dropNotStarted(): void {
    if (this.#hard || this.#failure !== undefined) this.#lanes.dropAll();
    else this.#lanes.dropAfterStarted();
  }

  #reading(subscription: Subscription): Reading {
    const { concurrency, partitionConcurrency, batchSize, batchWaitMs = 0 } = this.#options;
    const reading = new Reading(subscription, {
      laned: concurrency > 1 || partitionConcurrency || subscription.dueAt !== undefined,
      storeOne: (message) => void this.#store(subscription, [message]),
      batchSize,
      batchWaitMs,
      stopped: this.#fetching.signal,
    });
    for (const topic of subscription.topics) this.#bySubscriptionTopic.set(topic, reading);
    if (subscription.dueAt !== undefined) this.#lanes.gate(subscription.topics);
    return reading;
  }

  #readingOf(topic: string): Reading {
    return this.#bySubscriptionTopic.get(topic) ?? this.#readings[0]!; // a topicRegex subscription names no topics
  }

  async #pollLoop(reading: Reading): Promise<void> {
    const stopped = this.#fetching.signal;
    const { maxQueued } = this.#options;
    while (!stopped.aborted) {
      if (reading.laned) await this.#lanes.whenSizeBelow(maxQueued); // bounds the work held
      if (stopped.aborted) break;
      const room = reading.laned ? Math.max(1, maxQueued - this.#lanes.size) : reading.roundRoom;
      const event = await reading.poll(room);
      if (event === undefined || stopped.aborted) break; // messages polled as we stopped are left uncommitted
      if (Array.isArray(event)) {
        const work = this.#split(reading, event);
        if (reading.laned) for (const item of work) this.#lanes.dispatch(item);
        else if (this.#options.batchSize !== undefined) await this.#handleInOrder(reading, work);
        else {
          const began = performance.now();
          await this.#handleInOrder(reading, work);
          reading.round.record(event.length, performance.now() - began);
        }
      } else if (event instanceof RevokedPartitions) {
        // Not awaited: the partitions kept go on being polled and handled while the revoked ones' handlers finish.
        // Chained: run() waits for every revocation still draining, not only the last one.
        const revoking = this.#revoked(reading, event);
        reading.revoking = Promise.all([reading.revoking, revoking]).then(() => undefined);
      } else if (event instanceof AssignedPartitions) {
        this.#log.info({ partitions: event.partitions, subscription: reading.subscription.name }, "partitions assigned");
      } else {
        this.#fetchFailed(reading, event);
      }
    }
  }

  /**
   * The units of work in a poll's messages: each message on its own (`onEachMessage`, and every record
   * of a retry topic, which falls due on its own), or each partition's runs (`onEachBatch`).
   */
  #split(reading: Reading, messages: Message[]): Work[] {
    const size = this.#options.batchSize;
    if (size === undefined || reading.subscription.dueAt !== undefined) return messages.map((message) => [message]);
    return partitionRuns(messages, size);
  }

  /**
   * One at a time: a plain loop over the work, one handler call at a time; a failure or a stop ends it,
   * leaving the rest unhandled. A delivery handled synchronously (see {@link SyncStep}) costs no await.
   */
  async #handleInOrder(reading: Reading, work: Work[]): Promise<void> {
    for (const item of work) {
      if (this.#fetching.signal.aborted) return;
      let pending: Promise<void> | undefined;
      try {
        pending = this.#handle(reading, item);
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

  /**
   * A lane's unit of work: waits until due (retry topics), then goes through the pipeline; undefined
   * when that finished synchronously.
   */
  #runLaned(work: Work): Promise<void> | undefined {
    const first = work[0]!;
    const reading = this.#readingOf(first.topic);
    const dueAt = reading.subscription.dueAt?.(first);
    if (dueAt === undefined) return this.#handle(reading, work);
    return this.#lanes.untilDue(first, dueAt).then((due) => (due ? this.#handle(reading, work) : undefined)); // not due: abandoned, read again later
  }

  /** Handles one unit of work through the pipeline; undefined when that finished synchronously. */
  #handle(reading: Reading, work: Work): Promise<void> | undefined {
    const started = this.#options.debug ? performance.now() : 0;
    const delivery =
      this.#options.batchSize === undefined
        ? new MessageDelivery(work[0]!, this.#handling.signal, this.#log, work)
        : new BatchDelivery(work, this.#handling.signal, this.#log, reading.storeOne);
    reading.subscription.prepare?.(delivery);
    const pending = this.#step(delivery);
    if (pending === undefined) {
      this.#handled(reading, delivery, work, started);
      return undefined;
    }
    return pending.then(() => this.#handled(reading, delivery, work, started));
  }

  /** After the pipeline resolved: stores the offsets (and logs the debug line, with the outcome). */
  #handled(reading: Reading, delivery: MessageDelivery | BatchDelivery, work: Work, started: number): void {
    if (this.#hard) return; // abandoned by a hard stop; the group may already be closed
    const storable = reading.laned ? this.#lanes.storable(work, delivery.messages) : delivery.messages;
    if (!this.#store(reading.subscription, storable)) return;
    if (this.#options.debug) {
      const fields = { costMs: Math.round(performance.now() - started), attempts: delivery.attempts, outcome: delivery.outcome ?? "ok" };
      if (delivery.batch === undefined) delivery.logger.info(fields, "message handled");
      else delivery.logger.info({ ...fields, messages: work.length, lastOffset: work.at(-1)!.offset }, "batch handled");
    }
  }

  /** Stores the offsets of handled messages; false (reported) when the group refused them. */
  #store(subscription: Subscription, messages: readonly Message[]): boolean {
    if (messages.length === 0) return true;
    try {
      subscription.group.storeOffsets(...messages);
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
   * The rebalance contract: the partitions are released by `event.release()` (polls pass
   * `releaseRevoked: false`, so polling goes on meanwhile), after the offsets stored for them are
   * committed. So before that, every handler of those partitions — and only of those — must have
   * finished and stored its offset. Messages of theirs not started yet, and records waiting for their
   * due time, are dropped: the new owner reads them from the committed offset.
   */
  async #revoked(reading: Reading, event: RevokedPartitions): Promise<void> {
    try {
      const began = Date.now();
      const dropped = await this.#lanes.revoke(new Set(event.partitions.map(laneOf)));
      const drained = Date.now();
      await event.release();
      // How long the handlers in flight on these partitions took to finish, and the commit before release.
      const timing = { waitedMs: drained - began, releasedMs: Date.now() - drained };
      this.#log.info({ partitions: event.partitions, dropped, ...timing, subscription: reading.subscription.name }, "partitions revoked");
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * A fetch error: a fatal one stops the server; any other is reported and polling goes on (the consumer
   * group backs off before its next fetch, see `readBackoffMin`).
   */
  #fetchFailed(reading: Reading, error: Error): void {
    const permanent = isPermanentFetchError(error);
    this.#options.report(error, { phase: "fetch", retrying: !permanent });
    if (permanent) {
      this.#log.error({ err: error, subscription: reading.subscription.name }, "fatal fetch error; stopping");
      this.#fail(error);
      return;
    }
    this.#log.warn({ err: error, subscription: reading.subscription.name }, "fetch error; polling again");
  }

  /** Stops polling and keeps the first failure for run() to reject with. */
  #fail(error: Error): void {
    if (this.#hard) return; // an aborted handler's error, after a hard stop
    if (this.#failure === undefined) {
      this.#failure = { error };
      this.#log.error({ err: error }, "consumption failed; stopping without committing the failed message");
    }
    this.#fetching.abort();
    this.#dropNotStarted();
  }

  /** Closing a group commits the stored offsets (once) and leaves the group. */
  async #close(reading: Reading): Promise<void> {
    try {
      await reading.subscription.group.close();
    } catch (error) {
      this.#options.report(error as Error, { phase: "close", retrying: false });
      this.#log.error({ err: error, subscription: reading.subscription.name }, "closing the consumer group failed");
    }
  }
}
