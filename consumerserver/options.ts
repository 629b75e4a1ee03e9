import type { Component } from "../src/index.js";
import type { Logger } from "../src/core/index.js";
import type { Middleware } from "./delivery.js";
import { retryPolicy, type RetryPolicy } from "./retry.js";

/** Limits on how much work the server holds with {@link withPartitionConcurrency} (or `concurrency` above 1): the keys of the same names, which these override. */
export interface ConcurrencyLimits {
  /**
   * Messages of one partition queued or in flight before the partition is paused (it resumes once
   * half of them are done). Default: the `maxQueuedPerPartition` key (1000).
   */
  maxQueuedPerPartition?: number;
  /** Messages queued or in flight over all partitions before the server stops polling. Default: the `maxQueued` key (1000). */
  maxQueued?: number;
}

/** What the options set; read by `build()`. */
export interface ServerOptions {
  /** The component the server reads and writes through ({@link withEkafka}); `build()` fails without it. */
  ekafka?: Component;
  /**
   * The fields of the in-place retry policy set with {@link withRetry}; the others come from the
   * `inPlaceRetries` key and {@link DEFAULT_RETRY_POLICY}.
   */
  retry: Partial<RetryPolicy>;
  /** Overrides the `deadLetterProducer` key when set. */
  deadLetterProducer?: string;
  /** Overrides the `partitionConcurrency` key when set. */
  partitionConcurrency?: boolean;
  /** Overrides the `maxQueuedPerPartition` key when set (see {@link ConcurrencyLimits.maxQueuedPerPartition}). */
  maxQueuedPerPartition?: number;
  /** Overrides the `maxQueued` key when set (see {@link ConcurrencyLimits.maxQueued}). */
  maxQueued?: number;
  /** The logger the server's lines derive from ({@link withLogger}); the core root logger when absent. */
  logger?: Logger;
  /** The user's middlewares, outermost first (see {@link withMiddleware}). */
  middlewares: Middleware[];
}

/** Changes how a server is built; pass to `load(key).build(...options)`. */
export type Option = (options: ServerOptions) => void;

/** The options before any {@link Option} is applied. */
export function defaultServerOptions(): ServerOptions {
  return { retry: {}, middlewares: [] };
}

/** The ekafka component whose consumers, consumer groups and producers the server uses. Required. */
export function withEkafka(component: Component): Option {
  return (options) => {
    options.ekafka = component;
  };
}

/**
 * How recoverable handler errors are retried in place (default: 3 retries without retry tiers, none with
 * them; 100 ms backoff doubling up to 5 s). `attempts` counts retries after the first call, so
 * `{ attempts: 3 }` calls a handler at most 4 times. The fields given here win over the `inPlaceRetries`
 * key; the others keep their defaults.
 * @throws RangeError for a negative or non-numeric value
 */
export function withRetry(policy: Partial<RetryPolicy>): Option {
  retryPolicy(policy); // fail where the option is written, not at start
  const given = Object.fromEntries(Object.entries(policy).filter(([, value]) => value !== undefined)) as Partial<RetryPolicy>;
  return (options) => {
    options.retry = given;
  };
}

/**
 * Sends messages whose handling failed for good to the producer `kafka.producers.<producerName>`, with
 * `x-ekafka-*` headers saying why, and goes on consuming (instead of stopping). Same as the config key
 * `deadLetterProducer`, which it overrides.
 */
export function withDeadLetter(producerName: string): Option {
  return (options) => {
    options.deadLetterProducer = producerName;
  };
}

/**
 * Handles the partitions of the consumer group in parallel, each partition strictly in order (off by
 * default: one message at a time). Same as the config key `partitionConcurrency`, which it overrides.
 * @throws RangeError for a limit below 1
 */
export function withPartitionConcurrency(on = true, limits: ConcurrencyLimits = {}): Option {
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new RangeError(`withPartitionConcurrency: ${name} must be an integer of at least 1, found ${String(value)}`);
    }
  }
  return (options) => {
    options.partitionConcurrency = on;
    if (limits.maxQueuedPerPartition !== undefined) options.maxQueuedPerPartition = limits.maxQueuedPerPartition;
    if (limits.maxQueued !== undefined) options.maxQueued = limits.maxQueued;
  };
}

/**
 * The pino logger the server's lines derive from (default: the core root logger). The server logs
 * through a child carrying `comp` and `key`, and each message's logger is a child of that.
 */
export function withLogger(logger: Logger): Option {
  return (options) => {
    options.logger = logger;
  };
}

/**
 * Adds middlewares to the handling pipeline of `onEachMessage` and `onEachBatch`, the first given
 * outermost; several calls add in order. They wrap the built-in ones: a user middleware sees each
 * message (or batch) once, with the outcome after the in-place retries and the dead-letter step, and can
 * skip the handler by resolving without calling `next`.
 *
 * The pipeline, outermost first: the component's `withServerInterceptor` interceptors → these middlewares →
 * dead letter (when configured) or retry tiers (with `retryDelays`) → in-place retry → the handler.
 *
 * @throws TypeError when a middleware is not a function
 */
export function withMiddleware(...middlewares: Middleware[]): Option {
  middlewares.forEach((middleware, index) => {
    if (typeof middleware !== "function") {
      throw new TypeError(
        `withMiddleware: argument ${index + 1} must be a middleware, (next) => (delivery) => Promise<void>; found ${typeof middleware}`,
      );
    }
  });
  return (options) => {
    options.middlewares.push(...middlewares);
  };
}
