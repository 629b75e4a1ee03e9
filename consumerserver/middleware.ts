import { runInContext, withRetries, type Message } from "../src/index.js";
import type { BatchContext, BatchDelivery, MessageContext, MessageDelivery } from "./context.js";
import type { Batch, Delivery, DeliveryHandler, Middleware } from "./delivery.js";
import type { Reporter } from "./error-report.js";
import { toError } from "./handler-error.js";
import { isRecoverable } from "./recoverable-error.js";
import type { RetryPolicy } from "./retry.js";
import { handlerOf, isThenable, recovering, type SyncStep } from "./sync-step.js";

/** An `onEachMessage` handler: resolves when the message is handled; throwing fails it. */
export type MessageHandler = (ctx: MessageContext, message: Message) => unknown;

/**
 * An `onEachBatch` handler: resolves when the batch is handled; throwing fails the messages of the
 * batch not resolved yet (see {@link Batch.resolve}).
 */
export type BatchHandler = (ctx: BatchContext, batch: Batch) => unknown;

/**
 * The innermost step of `onEachMessage`: calls the user's handler in the message's trace context, and
 * turns whatever it throws into an Error (see {@link toError}). Counts the call on the delivery. A
 * handler that returns without a promise finishes the step synchronously (see {@link SyncStep}).
 */
export function callHandler(handler: MessageHandler): DeliveryHandler {
  return calling(handler, messageOf);
}

/** The innermost step of `onEachBatch`: like {@link callHandler}, with the batch's messages not resolved yet. */
export function callBatchHandler(handler: BatchHandler): DeliveryHandler {
  return calling(handler, batchOf);
}

const messageOf = (ctx: MessageContext): Message => ctx.message;
const batchOf = (ctx: BatchContext): Batch => ctx.batch;

function calling<C extends MessageContext | BatchContext, A>(handler: (ctx: C, arg: A) => unknown, argOf: (ctx: C) => A): DeliveryHandler {
  return handlerOf((delivery) => {
    const own = delivery as MessageDelivery | BatchDelivery;
    own.attempts++;
    const ctx = own.handlerContext() as C;
    return settled(own, handler, ctx, argOf(ctx));
  });
}

/**
 * Calls a handler in the delivery's trace context and keeps its outcome on the delivery: synchronously when
 * it returned no promise. Takes the handler and its arguments rather than a closure: no function is made
 * per message (see DeliveryBatch in context.ts for what closures made per message cost).
 */
function settled<C, A>(
  own: MessageDelivery | BatchDelivery,
  handler: (ctx: C, arg: A) => unknown,
  ctx: C,
  arg: A,
): Promise<void> | undefined {
  let result: unknown;
  try {
    // context.with makes spans the handler starts children of the producer's span.
    result = runInContext(own.otelContext, handler, undefined, ctx, arg);
  } catch (thrown) {
    throw failed(own, thrown);
  }
  if (!isThenable(result)) {
    own.error = undefined;
    own.outcome = "ok";
    return undefined;
  }
  return Promise.resolve(result).then(
    () => {
      own.error = undefined;
      own.outcome = "ok";
    },
    (thrown: unknown) => {
      throw failed(own, thrown);
    },
  );
}

/** The handler failed: the delivery is failed unless a step after it (retry, retry tier, dead letter) decides otherwise. */
function failed(own: MessageDelivery | BatchDelivery, thrown: unknown): Error {
  own.error = toError(thrown, own.message);
  own.outcome = "failed";
  return own.error;
}

/**
 * Retries a delivery whose handler failed with a recoverable error (see `isRecoverable`) in place, up to
 * `policy.attempts` times for this delivery, waiting between tries (exponential backoff with jitter)
 * through the one retry loop (`withRetries`). Every failure is reported (phase `handle`) and each retry
 * counted on the delivery (`retries`). Gives up at once when the delivery's signal aborts (a hard
 * stop): the messages then stay uncommitted. A batch is retried with its messages not resolved yet.
 */
export function retrying(policy: RetryPolicy, report: Reporter): Middleware {
  return recovering((next, delivery, error) => retryAfter(next, delivery, error, policy, report));
}

/** The tries after a first failure (`error`); the policy is made only when a delivery fails. */
async function retryAfter(next: SyncStep, delivery: Delivery, error: unknown, policy: RetryPolicy, report: Reporter): Promise<void> {
  if (delivery.signal.aborted) throw error;
  const own = delivery as MessageDelivery | BatchDelivery;
  try {
    await withRetries(
      (tries) => (tries === 0 ? Promise.reject(error) : (next(delivery) ?? Promise.resolve())),
      {
        retries: policy.attempts,
        waits: { initialMs: policy.backoffMs, maxMs: policy.maxBackoffMs, multiplier: policy.multiplier },
        retryIf: isRecoverable,
        onRetry: (failure, _retry, waitMs) => {
          report(failure as Error, { phase: "handle", message: delivery.message, attempt: delivery.attempts, retrying: true });
          delivery.logger.warn(
            { err: failure, attempt: delivery.attempts, retryInMs: waitMs },
            "handler failed with a recoverable error; retrying",
          );
          own.retries++;
        },
      },
      delivery.signal,
    );
  } catch (last) {
    if (!delivery.signal.aborted)
      report(last as Error, { phase: "handle", message: delivery.message, attempt: delivery.attempts, retrying: false });
    throw last;
  }
}

export { chain, type Delivery, type DeliveryHandler, type Middleware } from "./delivery.js";

/** Runs one call through the component's server interceptors (see `Component.serverInterception`). */
export type InterceptedCall = (operation: string, messages: Message[], fn: () => Promise<void>) => Promise<void>;

/**
 * Runs each delivery through the server interceptors as one call — "HandleMessage" or "HandleBatch",
 * carrying the delivery's messages — so they see every handled message and how its handling ended.
 */
export function intercepting(call: InterceptedCall): Middleware {
  return (next) => (delivery) =>
    call(delivery.batch === undefined ? "HandleMessage" : "HandleBatch", [...delivery.messages], () => next(delivery));
}
