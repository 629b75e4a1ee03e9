import { PollTimeoutError, type AssignedPartitions, type Message, type RevokedPartitions } from "../src/index.js";
import { RoundSize } from "./round-size.js";
import type { Subscription } from "./subscription.js";

/** What one poll of a subscription brings: messages, a rebalance, or a fetch error. */
export type PollEvent = Message[] | AssignedPartitions | RevokedPartitions | Error;

/** How a {@link Reading} polls. */
export interface ReadingOptions {
  /** Handled in lanes (one per partition) rather than one at a time in the poll loop. */
  laned: boolean;
  /** Stores one message resolved inside a batch. */
  storeOne: (message: Message) => void;
  /** `onEachBatch`: the most messages of one partition handed to one handler call. */
  batchSize: number | undefined;
  /** `onEachBatch`: how long to keep polling for more when a poll brought fewer than batchSize. */
  batchWaitMs: number;
  /** Aborts polling: any stop of the engine, or a failure. */
  stopped: AbortSignal;
}

/** Most messages taken from a consumer group per poll when handling one at a time. */
const POLL_BATCH = 500;
/** How long one-at-a-time handling aims to go without polling (see {@link RoundSize}). */
const ROUND_TARGET_MS = 500;

/**
 * A subscription as the engine runs it: how it is polled (one poll, or with `batchWait` polls gathered
 * into one batch) and what is left over between polls (an event met while gathering, the revocations
 * still draining).
 */
export class Reading {
  readonly laned: boolean;
  /** Stores one message resolved inside a batch (one function per subscription, none per batch: see DeliveryBatch). */
  readonly storeOne: (message: Message) => void;
  /** A revocation waiting for its partitions' handlers in flight, while polling goes on for the others. */
  revoking: Promise<void> = Promise.resolve();
  /** One at a time: how many messages a poll takes. */
  readonly round = new RoundSize(POLL_BATCH, ROUND_TARGET_MS);
  /** An event met while gathering a batch, handed out by the next poll. */
  #pending: PollEvent | undefined;

  constructor(
    readonly subscription: Subscription,
    private readonly options: ReadingOptions,
  ) {
    this.laned = options.laned;
    this.storeOne = options.storeOne;
  }

  /**
   * How many messages a poll takes when handling one at a time: as many as the handler's pace allows in
   * a round ({@link RoundSize}) for `onEachMessage`; for `onEachBatch` the full poll, since a smaller
   * round would cut the batches the handler was configured for.
   */
  get roundRoom(): number {
    return this.options.batchSize === undefined ? this.round.next : POLL_BATCH;
  }

  /**
   * The messages polled, or another event; undefined when polling was aborted. With batchWait, polls on
   * until batchSize messages came or the wait is over; an event met meanwhile waits for the next poll.
   */
  async poll(maxMessages: number): Promise<PollEvent | undefined> {
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      return pending;
    }
    const first = await this.#pollOnce(maxMessages);
    const { batchSize, batchWaitMs, stopped } = this.options;
    if (!Array.isArray(first) || batchSize === undefined || batchWaitMs <= 0 || this.subscription.dueAt !== undefined) return first;
    const messages = first;
    const deadline = Date.now() + batchWaitMs;
    while (messages.length < Math.min(batchSize, maxMessages) && Date.now() < deadline && !stopped.aborted) {
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
  async #pollOnce(maxMessages: number, timeoutMs?: number): Promise<PollEvent | undefined> {
    const { stopped } = this.options;
    try {
      return await this.subscription.group.pollBatch({
        signal: stopped,
        maxMessages,
        releaseRevoked: false, // the engine releases them once their handlers are done
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    } catch (error) {
      if (stopped.aborted) return undefined;
      if (timeoutMs !== undefined && error instanceof PollTimeoutError) return undefined;
      return error instanceof Error ? error : new Error(`poll() rejected with ${String(error)}`);
    }
  }
}
