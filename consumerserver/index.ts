/**
 * ekafka/consumerserver — the Consumer Server: a {@link "ekafka/core"!Server | Server} for the core
 * {@link "ekafka/core"!App | App} that consumes through an ekafka component until the App stops, as Go
 * ekafka's `consumerserver` does.
 *
 * @example
 * const server = consumerserver.load("kafkaConsumerServers.s1").build(consumerserver.withEkafka(kafka));
 * server.onEachMessage(async (ctx, message) => { … });
 * await new App().serve(server).run();
 *
 * @module ekafka/consumerserver
 */
export { load, ServerContainer } from "./container.js";
export { ConsumerServer, COMPONENT_NAME } from "./server.js";
export { decodeConsumerServerConfig, type ConsumerServerConfig } from "./config.js";
export {
  withDeadLetter,
  withEkafka,
  withLogger,
  withPartitionConcurrency,
  withMiddleware,
  withRetry,
  type ConcurrencyLimits,
  type Option,
  type ServerOptions,
} from "./options.js";
export { RecoverableError, isRecoverable } from "./recoverable-error.js";
export { ThrownValueError } from "./handler-error.js";
export { DEFAULT_RETRY_POLICY, retryBackoff, retryPolicy, shouldRetry, type RetryPolicy } from "./retry.js";
export { DEAD_LETTER_HEADERS, DEAD_LETTER_TOPIC_SUFFIX, DeadLetterError, deadLetterMessage } from "./dead-letter.js";
export { isPermanentFetchError } from "./fetch-error.js";
export { DEFAULT_RETRY_TOPIC_FORMAT, retryTopicName, type RetryTierSettings } from "./retry-tiers/settings.js";
export { RETRY_TIER_HEADERS } from "./failure-headers.js";
export { RetryTierError } from "./retry-tiers/retry-tier-error.js";
export { RETRY_GROUP_SUFFIX } from "./retry-tiers/retry-tiers.js";
export { replayDeadLetters, REPLAYED_FROM_HEADER, type ReplayOptions, type ReplayResult } from "./retry-tiers/replay.js";
export { PartitionScheduler, type LaneFilter, type SchedulerHooks, type SchedulerLimit } from "./partition-scheduler.js";
export type { BatchContext, MessageContext, ServerContext } from "./context.js";
export { chain, type Batch, type Delivery, type DeliveryHandler, type Middleware, type Outcome } from "./delivery.js";
export type { ErrorDetails, ErrorHandler, ErrorPhase } from "./error-report.js";
export type { BatchHandler, MessageHandler } from "./middleware.js";
export { HANDLER_METRICS, HandlerMetrics, type HandlerResult } from "./handler-metrics.js";
export { PROCESS_SPAN_EVENTS, ProcessSpans } from "./process-span.js";
export { ReadinessTracker, DEFAULT_UNREACHABLE_GRACE_MS, type Readiness, type ReadinessInput, type ServerPhase } from "./readiness.js";
export type { LoopHandler } from "./owned-loop.js";
export {
  consumerGroupStart,
  consumerStart,
  eachMessage,
  handlersOf,
  registerHandlers,
  type EachMessageSettings,
  type HandlerDeclaration,
  type HandlerKind,
  type RegisterOptions,
} from "./decorators.js";
