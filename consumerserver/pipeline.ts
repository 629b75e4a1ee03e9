import type { ConsumerServerConfig } from "./config.js";
import { chain, type DeliveryHandler, type Middleware } from "./delivery.js";
import type { Reporter } from "./error-report.js";
import { recordingFailures } from "./failure-recording.js";
import { intercepting, retrying } from "./middleware.js";
import { movingOnFailure, type FailureDestinations } from "./move-on-failure.js";
import { DEFAULT_RETRY_POLICY, retryPolicy, type RetryPolicy } from "./retry.js";
import { deadLetterTopicOf, type Resources } from "./server-resources.js";

/** What the handling pipeline is made of. */
export interface PipelineParts {
  /** The innermost step: the user's handler (see `callHandler`). */
  handler: DeliveryHandler;
  resources: Resources;
  config: ConsumerServerConfig;
  /** The user's middlewares, outermost first. */
  middlewares: readonly Middleware[];
  /** The fields given with `withRetry`. */
  retry: Partial<RetryPolicy>;
  report: Reporter;
  /** Puts the server's spans and metrics around the middlewares (see `ServerObservability.around`). */
  observed: (middlewares: Middleware[]) => Middleware[];
}

/**
 * The handling pipeline, the same for every subscription, outermost first: the process span and
 * handler metrics, the server interceptors and the user's middlewares, the failure step (retry tier or
 * dead letter, when the server has them), the in-place retry, the recording of each failed call, the handler.
 */
export function pipelineOf(parts: PipelineParts): DeliveryHandler {
  const { resources, report } = parts;
  const middlewares: Middleware[] = [];
  // Exactly-once: the transaction encloses the whole handling (interceptors, middlewares, failure steps).
  if (resources.transactions !== undefined) middlewares.push(resources.transactions.around);
  if (resources.intercept !== undefined) middlewares.push(intercepting(resources.intercept));
  middlewares.push(...parts.middlewares);
  const destinations = failureDestinations(resources);
  const inPlace = retrying(inPlacePolicy(parts), report);
  if (destinations === undefined) middlewares.push(inPlace);
  else middlewares.push(movingOnFailure(destinations, report), inPlace, recordingFailures());
  if (resources.transactions !== undefined) middlewares.push(resources.transactions.eachCall); // right around each call
  return chain(parts.handler, ...parts.observed(middlewares));
}

/**
 * How a recoverable failure is retried in place: `withRetry`'s fields, else the `inPlaceRetries` key,
 * else 3 retries without retry tiers (Go's behaviour) and none with them (a failure moves to tier 1 at once).
 */
export function inPlacePolicy(parts: Pick<PipelineParts, "resources" | "config" | "retry">): RetryPolicy {
  const attempts = parts.config.inPlaceRetries ?? (parts.resources.tiers === undefined ? DEFAULT_RETRY_POLICY.attempts : 0);
  return retryPolicy({ attempts, ...parts.retry });
}

/** Where a delivery that failed for good goes: the retry tiers and the dead-letter topic, when the server has them. */
function failureDestinations(resources: Resources): FailureDestinations | undefined {
  const { tiers, deadLetter } = resources;
  if (tiers === undefined && deadLetter === undefined) return undefined;
  // With tiers and no dead-letter producer, the retry producer writes the dead letters to <topic>.DLT.
  const writer = deadLetter?.producer ?? tiers!.retryWriter;
  return {
    ...(tiers === undefined ? {} : { tiers }),
    deadLetter: { writer, topicOf: (topic) => deadLetterTopicOf(resources, topic) },
  };
}
