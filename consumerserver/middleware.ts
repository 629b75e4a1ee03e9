import { context as otelContexts } from "@opentelemetry/api";
import type { Message } from "../src/message.js";
import type { Delivery, MessageContext } from "./context.js";
import { delay } from "./delay.js";
import type { Reporter } from "./error-report.js";
import { toError } from "./handler-error.js";
import { retryDelay, shouldRetry, type RetryPolicy } from "./retry.js";

/** An `onEachMessage` handler: resolves when the message is handled; throwing fails it. */
export type MessageHandler = (ctx: MessageContext, message: Message) => unknown;

/** One step of handling a delivery; rejects when the message could not be handled. */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/** Wraps a step in behaviour of its own (retrying, dead-lettering), as Watermill's router middlewares do. */
export type Middleware = (next: DeliveryHandler) => DeliveryHandler;

/** Applies middlewares around `handler`, the first one outermost. */
export function chain(handler: DeliveryHandler, ...middlewares: Middleware[]): DeliveryHandler {
  return middlewares.reduceRight((next, middleware) => middleware(next), handler);
}

/**
 * The innermost step: calls the user's handler in the message's trace context, and turns whatever it
 * throws into an Error (see {@link toError}). Counts the call on the delivery.
 */
export function callHandler(handler: MessageHandler): DeliveryHandler {
  return async (delivery) => {
    delivery.attempts++;
    const ctx = delivery.handlerContext();
    try {
      // context.with makes spans the handler starts children of the producer's span.
      await otelContexts.with(delivery.otelContext, () => handler(ctx, delivery.message));
    } catch (thrown) {
      throw toError(thrown, delivery.message);
    }
  };
}

/**
 * Retries a delivery whose handler failed with a recoverable error (see `isRecoverable`), as `policy`
 * says, waiting between tries. Every failure is reported (phase `handle`). Gives up at once when the
 * delivery's signal aborts (a hard stop): the message then stays uncommitted.
 */
export function retrying(policy: RetryPolicy, report: Reporter): Middleware {
  return (next) => async (delivery) => {
    for (;;) {
      try {
        await next(delivery);
        return;
      } catch (error) {
        if (delivery.signal.aborted) throw error;
        const again = shouldRetry(policy, error, delivery.attempts);
        report(error as Error, { phase: "handle", message: delivery.message, attempt: delivery.attempts, retrying: again });
        if (!again) throw error;
        const waitMs = retryDelay(policy, delivery.attempts);
        delivery.logger.warn({ err: error, attempt: delivery.attempts, retryInMs: waitMs }, "handler failed with a recoverable error; retrying");
        if (!(await delay(waitMs, delivery.signal))) throw error;
      }
    }
  };
}
