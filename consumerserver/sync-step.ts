import type { Delivery, DeliveryHandler, Middleware } from "./delivery.js";

/**
 * A step of the handling pipeline that may finish synchronously: it returns undefined when it did, its
 * promise when it went asynchronous, and throws when it failed synchronously. The built-in steps
 * (handler call, retry, dead letter, metrics, spans) are written this way so that a handler returning
 * without a promise costs no promise and no microtask tick per message: at tens of thousands of messages
 * a second those ticks and promises were most of the Consumer Server's own cost. Each built-in step is
 * still a plain {@link DeliveryHandler} (always a promise) for the middlewares of the application.
 */
export type SyncStep = (delivery: Delivery) => Promise<void> | undefined;

const STEP = Symbol("ekafka.syncStep");

type SteppedHandler = DeliveryHandler & { [STEP]?: SyncStep };

const RESOLVED: Promise<void> = Promise.resolve();

/** The step behind `handler`: its synchronous-capable form when it has one, else the handler itself. */
export function stepOf(handler: DeliveryHandler): SyncStep {
  return (handler as SteppedHandler)[STEP] ?? handler;
}

/** `step` as a {@link DeliveryHandler} (a promise in every case) that keeps the step for {@link stepOf}. */
export function handlerOf(step: SyncStep): DeliveryHandler {
  const handler: SteppedHandler = (delivery) => {
    try {
      return step(delivery) ?? RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  handler[STEP] = step;
  return handler;
}

/** A {@link Middleware} written over steps: it stays synchronous when the step after it does. */
export function stepMiddleware(wrap: (next: SyncStep) => SyncStep): Middleware {
  return (next) => handlerOf(wrap(stepOf(next)));
}

/**
 * A {@link Middleware} over steps for "on failure, do this": runs the next step; when it fails,
 * synchronously or not, the failure goes to `recover`, whose outcome becomes the step's. Stays
 * synchronous when the next step succeeds synchronously, and makes no function per delivery on that path.
 */
export function recovering(recover: (next: SyncStep, delivery: Delivery, error: unknown) => Promise<void>): Middleware {
  return stepMiddleware((next) => (delivery) => {
    let result: Promise<void> | undefined;
    try {
      result = next(delivery);
    } catch (error) {
      return recover(next, delivery, error);
    }
    return result?.then(undefined, (error: unknown) => recover(next, delivery, error));
  });
}

/** Whether a handler's return value is to be awaited. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}
