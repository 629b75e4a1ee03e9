import { context as otelContexts } from "@opentelemetry/api";
import type { Message } from "../src/index.js";
import type { BatchContext, BatchDelivery, MessageContext, MessageDelivery } from "./context.js";
import { delay } from "./delay.js";
import type { Batch, DeliveryHandler, Middleware } from "./delivery.js";
import type { Reporter } from "./error-report.js";
import { toError } from "./handler-error.js";
import { retryBackoff, shouldRetry, type RetryPolicy } from "./retry.js";

/** An `onEachMessage` handler: resolves when the message is handled; throwing fails it. */
export type MessageHandler = (ctx: MessageContext, message: Message) => unknown;

/**
 * An `onEachBatch` handler: resolves when the batch is handled; throwing fails the messages of the
 * batch not resolved yet (see {@link Batch.resolve}).
 */
export type BatchHandler = (ctx: BatchContext, batch: Batch) => unknown;

/**
 * The innermost step of `onEachMessage`: calls the user's handler in the message's trace context, and
 * turns whatever it throws into an Error (see {@link toError}). Counts the call on the delivery.
 */
export function callHandler(handler: MessageHandler): DeliveryHandler {
  return async (delivery) => {
    const own = delivery as MessageDelivery;
    own.attempts++;
    const ctx = own.handlerContext();
    try {
      // context.with makes spans the handler starts children of the producer's span.
      await otelContexts.with(own.otelContext, () => handler(ctx, own.message));
      own.error = undefined;
    } catch (thrown) {
      own.error = toError(thrown, own.message);
      throw own.error;
    }
  };
}

/** The innermost step of `onEachBatch`: like {@link callHandler}, with the batch's messages not resolved yet. */
export function callBatchHandler(handler: BatchHandler): DeliveryHandler {
  return async (delivery) => {
    const own = delivery as BatchDelivery;
    own.attempts++;
    const ctx = own.handlerContext();
    try {
      await otelContexts.with(own.otelContext, () => handler(ctx, ctx.batch));
      own.error = undefined;
    } catch (thrown) {
      own.error = toError(thrown, own.message);
      throw own.error;
    }
  };
}

/**
 * Retries a delivery whose handler failed with a recoverable error (see `isRecoverable`), as `policy`
 * says, waiting between tries (exponential backoff with jitter, see `Backoff`). Every failure is
 * reported (phase `handle`). Gives up at once when the delivery's signal aborts (a hard stop): the
 * messages then stay uncommitted. A batch is retried with its messages not resolved yet.
 */
export function retrying(policy: RetryPolicy, report: Reporter): Middleware {
  return (next) => async (delivery) => {
    const backoff = retryBackoff(policy);
    for (;;) {
      try {
        await next(delivery);
        return;
      } catch (error) {
        if (delivery.signal.aborted) throw error;
        const again = shouldRetry(policy, error, delivery.attempts);
        report(error as Error, { phase: "handle", message: delivery.message, attempt: delivery.attempts, retrying: again });
        if (!again) throw error;
        const waitMs = backoff.next();
        delivery.logger.warn(
          { err: error, attempt: delivery.attempts, retryInMs: waitMs },
          "handler failed with a recoverable error; retrying",
        );
        if (!(await delay(waitMs, delivery.signal))) throw error;
      }
    }
  };
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
