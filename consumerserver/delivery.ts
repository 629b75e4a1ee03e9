import type { Context } from "@opentelemetry/api";
import type { Message } from "../src/index.js";
import type { Logger } from "../src/core/index.js";

/**
 * The messages of one partition an `onEachBatch` handler gets in one call, in offset order.
 *
 * Progress inside the batch is marked with {@link resolve}: a resolved message (and every message before
 * it) counts as handled at once — its offset is stored and committed even when the handler later fails,
 * and a retry, a retry tier or the dead-letter topic only ever sees the messages not resolved yet (with
 * `retryDelays`, a recoverable failure moves each of them to the first tier's retry topic). When the handler
 * resolves (returns without throwing), the whole batch counts as handled.
 */
export interface Batch {
  /** The topic every message of the batch was read from. */
  readonly topic: string;
  /** The partition every message of the batch was read from. */
  readonly partition: number;
  /**
   * The messages of this call, in offset order: the whole batch on the first call; on a retry, those
   * not resolved before.
   */
  readonly messages: readonly Message[];
  /** The partition's high-water mark when the newest message of the batch was fetched (-1 when unknown). */
  readonly highWaterMark: number;
  /** Marks `message` and every message before it in the batch as handled (their offset is stored now). */
  resolve(message: Message): void;
  /** Whether `message` was resolved (by {@link resolve}, or by a message after it). */
  isResolved(message: Message): boolean;
}

/**
 * How the handling of a delivery ended, set by the step that decided it; metrics, spans and log lines
 * read it (the `result` label of `ekafka_consumerserver_handled_total`):
 * - `ok`: the handler succeeded (after in-place retries, if any), or a middleware resolved without calling it;
 * - `retry_tier`: the messages were written to the next retry tier's topic;
 * - `dead_lettered`: the messages were written to the dead-letter topic;
 * - `failed`: the handling failed for good and the server stops without committing them.
 * A hard stop abandons a delivery: it gets no outcome of its own.
 */
export type Outcome = "ok" | "retry_tier" | "dead_lettered" | "failed";

/**
 * Messages on their way through the Consumer Server's handling pipeline — one message for
 * `onEachMessage`, one {@link Batch} for `onEachBatch`: what a {@link Middleware} sees.
 *
 * It is live: `attempts`, `error` and (for a batch) `messages` change as the handler is called again.
 */
export interface Delivery {
  /** The message (`onEachMessage`), or the first message of the batch not resolved yet (`onEachBatch`). */
  readonly message: Message;
  /**
   * The messages still to handle, in offset order: `[message]` for `onEachMessage`, the batch's
   * unresolved messages for `onEachBatch`. When the pipeline resolves, all of them count as handled (a
   * middleware that parks them somewhere, e.g. on a dead-letter topic, resolves).
   */
  readonly messages: readonly Message[];
  /** The batch, for `onEachBatch`; undefined for `onEachMessage`. */
  readonly batch: Batch | undefined;
  /** How many times the handler has been called for this delivery so far (0 before the first call). */
  readonly attempts: number;
  /** What the last handler call failed with; undefined before the first call and after a success. */
  readonly error: Error | undefined;
  /** How the handling ended so far (see {@link Outcome}); undefined until a step decided. */
  readonly outcome: Outcome | undefined;
  /** In-place retries of this delivery so far (calls of the handler after its first one here). */
  readonly retries: number;
  /** Aborts on a hard stop: give up, the messages are left uncommitted. Pass it on to I/O. */
  readonly signal: AbortSignal;
  /**
   * The trace context of the handling: the one the (first) message carries in its headers (W3C
   * `traceparent`), until a middleware puts a span of its own in it (the `process` span does, so the
   * handler's spans are its children).
   */
  otelContext: Context;
  /** The server's logger bound to the topic, partition and offset (first offset, for a batch). */
  readonly logger: Logger;
}

/** One step of handling a delivery: resolves when its messages are handled, rejects when they could not be. */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/**
 * Wraps the next step of the pipeline in behaviour of its own — one concern each: retrying,
 * dead-lettering, metrics, tracing, logging, an idempotency check, deserialising — as Watermill's
 * router middlewares do. Call `next(delivery)` to go on; throw (or let its rejection through) to fail the
 * delivery; resolve without calling `next` to count the messages as handled without the handler.
 *
 * @example
 * const timing: Middleware = (next) => async (delivery) => {
 *   const started = performance.now();
 *   try { await next(delivery); }
 *   finally { delivery.logger.info({ ms: performance.now() - started, attempts: delivery.attempts }, "handled"); }
 * };
 * consumerserver.load("kafkaConsumerServers.s1").build(withEkafka(kafka), withMiddleware(timing));
 */
export type Middleware = (next: DeliveryHandler) => DeliveryHandler;

/** Applies middlewares around `handler`, the first one outermost. */
export function chain(handler: DeliveryHandler, ...middlewares: Middleware[]): DeliveryHandler {
  return middlewares.reduceRight((next, middleware) => middleware(next), handler);
}

/** Records the outcome a step decided for `delivery` (the built-in steps' way to set {@link Delivery.outcome}). */
export function decide(delivery: Delivery, outcome: Outcome): void {
  (delivery as { outcome: Outcome | undefined }).outcome = outcome;
}
