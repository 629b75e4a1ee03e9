import type { MessageInput } from "../../src/index.js";
import type { Delivery } from "../context.js";
import type { Reporter } from "../error-report.js";
import { describeMessage } from "../handler-error.js";
import type { Middleware } from "../middleware.js";
import { failuresOf, tierStateOf } from "./delivery-state.js";
import { deadLetterRecord, tierRecord } from "./headers.js";
import { nextStep } from "./next-step.js";
import type { RetryTierSettings } from "./settings.js";

/** Writes records and resolves once the brokers acknowledged them; the ekafka Producer is one. */
export interface RecordWriter {
  writeMessages(...messages: MessageInput[]): Promise<void>;
}

/** Where the retry-tier step writes: the retry topics and the dead-letter topic. */
export interface TierDestinations {
  readonly settings: RetryTierSettings;
  /** Writes the retry-topic records. */
  readonly retryWriter: RecordWriter;
  /** Writes the dead-letter records. */
  readonly deadLetterWriter: RecordWriter;
  /** Tier n's retry topic for the original topic. */
  retryTopic(originalTopic: string, n: number): string;
  /** The partition of `retryTopic` a record of `originalPartition` goes to; undefined lets the producer's balancer choose. */
  retryPartition(retryTopic: string, originalPartition: number): number | undefined;
  /** The dead-letter topic for the original topic; undefined for the dead-letter producer's configured topic. */
  deadLetterTopic(originalTopic: string): string | undefined;
}

/**
 * Writing a message to its next retry topic (or, after the last tier, to the dead-letter topic) failed:
 * it is neither handled nor parked, so the server stops without committing it. `cause` is the write
 * error; `handlerError` is why the message was being moved.
 */
export class RetryTierError extends Error {
  override readonly name = "RetryTierError";

  constructor(
    message: { topic: string; partition: number; offset: number },
    destination: string,
    readonly handlerError: Error,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`writing ${describeMessage(message)} to ${destination} failed (${reason}); it had failed with: ${handlerError.message}`, { cause });
  }
}

/**
 * The writing half of retry tiers. When the steps inside (in-place retries, the handler) fail, the
 * message is written to the next tier's retry topic — due after that tier's delay — or, after the
 * last tier or for an error that is not recoverable, to the dead-letter topic with every attempt in its
 * headers. The delivery then counts as handled once the write was acknowledged, so its offset is
 * committed after the copy is safe: a crash in between gives a duplicate, never a loss. A failed write
 * fails the delivery with a {@link RetryTierError}; a hard stop is passed through untouched.
 */
export function retryTierWriting(destinations: TierDestinations, report: Reporter): Middleware {
  return (next) => async (delivery) => {
    try {
      await next(delivery);
    } catch (error) {
      if (delivery.signal.aborted) throw error;
      await moveOn(destinations, delivery, error as Error, report);
    }
  };
}

async function moveOn(destinations: TierDestinations, delivery: Delivery, handlerError: Error, report: Reporter): Promise<void> {
  const state = tierStateOf(delivery);
  const failures = failuresOf(delivery);
  const step = nextStep(destinations.settings, state.tier, handlerError);
  const origin = state.origin.topic;
  let writer: RecordWriter;
  let record: MessageInput;
  if (step.kind === "tier") {
    const topic = destinations.retryTopic(origin, step.tier);
    const partition = destinations.retryPartition(topic, state.origin.partition);
    writer = destinations.retryWriter;
    record = tierRecord(delivery.message, state, failures, { tier: step.tier, topic, dueMs: Date.now() + step.delayMs, ...(partition === undefined ? {} : { partition }) });
  } else {
    writer = destinations.deadLetterWriter;
    record = deadLetterRecord(delivery.message, state, failures, destinations.deadLetterTopic(origin));
  }
  const destination = record.topic ?? "the dead-letter producer's topic";
  try {
    await writer.writeMessages(record);
  } catch (writeError) {
    const failure = new RetryTierError(delivery.message, destination, handlerError, writeError);
    report(failure, { phase: step.kind === "tier" ? "retryTier" : "deadLetter", message: delivery.message, retrying: false });
    throw failure;
  }
  const fields = { err: handlerError, attempts: delivery.attempts, destination };
  if (step.kind === "tier") delivery.logger.warn({ ...fields, tier: step.tier, delayMs: step.delayMs }, "handler failed; message moved to a retry tier");
  else delivery.logger.warn({ ...fields, reason: step.reason }, "handler failed; message sent to the dead-letter topic");
}
