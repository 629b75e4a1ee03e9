import { isRetriableWriteError, withRetries, type Message, type MessageInput } from "../src/index.js";
import { DeadLetterError } from "./dead-letter.js";
import { decide, type Delivery, type Middleware } from "./delivery.js";
import { failuresOf, tierStateOf } from "./delivery-state.js";
import type { Reporter } from "./error-report.js";
import { deadLetterRecord, freshState, tierRecord } from "./failure-headers.js";
import { nextStep, type NextStep } from "./next-step.js";
import { RetryTierError } from "./retry-tiers/retry-tier-error.js";
import type { RetryTierSettings } from "./retry-tiers/settings.js";
import { recovering } from "./sync-step.js";

/** Writes records and resolves once the brokers acknowledged them; the ekafka Producer is one. */
export interface RecordWriter {
  writeMessages(...messages: MessageInput[]): Promise<void>;
}

/** The retry tiers, as the failure step writes to them. */
export interface TierDestinations {
  readonly settings: RetryTierSettings;
  /** Writes the retry-topic records. */
  readonly retryWriter: RecordWriter;
  /** Tier n's retry topic for the original topic. */
  retryTopic(originalTopic: string, n: number): string;
  /** The partition of `retryTopic` a record of `originalPartition` goes to; undefined lets the producer's balancer choose. */
  retryPartition(retryTopic: string, originalPartition: number): number | undefined;
}

/** Where a failed delivery's messages can go: the retry tiers and the dead-letter topic, when the server has them. */
export interface FailureDestinations {
  tiers?: TierDestinations;
  deadLetter?: {
    writer: RecordWriter;
    /** The dead-letter topic for an original topic; undefined for the dead-letter producer's configured topic. */
    topicOf: (originalTopic: string) => string | undefined;
  };
}

// Writes that fail with a retriable error (a broker down, a leader moving) are tried again until
// acknowledged or hard-stopped, holding up the partition meanwhile.
const WRITE_WAITS = { initialMs: 100, maxMs: 5000 };

/**
 * The step that decides what becomes of a delivery whose handling failed for good (after the in-place
 * retries): its messages — the message, or a batch's messages not resolved when its handler failed,
 * one record each — go to the next retry tier's topic (outcome `retry_tier`), or after the last tier,
 * for an error that is not recoverable or without tiers, to the dead-letter topic (`dead_lettered`)
 * with every attempt in their headers; without either the failure passes on (`failed`: the server stops).
 *
 * The delivery counts as handled once the write was acknowledged, so its offsets are committed after
 * the copies are safe: a crash in between gives a duplicate, never a loss. A write that fails with a
 * retriable error is tried again (see `withRetries`); any other fails the delivery with a
 * {@link RetryTierError} or {@link DeadLetterError}. A hard stop is passed through untouched.
 */
export function movingOnFailure(destinations: FailureDestinations, report: Reporter): Middleware {
  return recovering((_next, delivery, error) => moveOn(destinations, delivery, error as Error, report));
}

/** The records of a failed delivery and who writes them. */
interface Move {
  step: Exclude<NextStep, { kind: "fail" }>;
  writer: RecordWriter;
  records: MessageInput[];
  destination: string;
}

async function moveOn(destinations: FailureDestinations, delivery: Delivery, handlerError: Error, report: Reporter): Promise<void> {
  if (delivery.signal.aborted) throw handlerError;
  if (delivery.messages.length === 0) return; // a batch handler that resolved every message, then threw: all handled
  const step = nextStep(destinations.tiers?.settings, tierStateOf(delivery).tier, handlerError, destinations.deadLetter !== undefined);
  if (step.kind === "fail") throw handlerError;
  const move =
    step.kind === "tier" ? tierMove(destinations.tiers!, delivery, step) : deadLetterMove(destinations.deadLetter!, delivery, step);
  await writeUntilAcknowledged(move, delivery, handlerError, report);
  decide(delivery, step.kind === "tier" ? "retry_tier" : "dead_lettered");
  const fields = { err: handlerError, attempts: delivery.attempts, destination: move.destination, messages: move.records.length };
  if (step.kind === "tier")
    delivery.logger.warn({ ...fields, tier: step.tier, delayMs: step.delayMs }, "handler failed; moved to a retry tier");
  else delivery.logger.warn({ ...fields, reason: step.reason }, "handler failed; sent to the dead-letter topic");
}

/**
 * Each message not handled yet carries the failures of this delivery. In a batch, every message left
 * was part of each failed call, so each gets the whole list, naming its own offset.
 */
function carriedBy(delivery: Delivery) {
  const state = tierStateOf(delivery);
  return {
    stateOf: (message: Message) => (message === delivery.message ? state : { ...freshState(message), tier: state.tier }),
    failuresOf: (message: Message) =>
      delivery.batch === undefined
        ? failuresOf(delivery)
        : failuresOf(delivery).map((failure) => ({
            ...failure,
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
          })),
  };
}

function tierMove(tiers: TierDestinations, delivery: Delivery, step: Extract<NextStep, { kind: "tier" }>): Move {
  const carried = carriedBy(delivery);
  const dueMs = Date.now() + step.delayMs;
  const records = delivery.messages.map((message) => {
    const own = carried.stateOf(message);
    const topic = tiers.retryTopic(own.origin.topic, step.tier);
    const partition = tiers.retryPartition(topic, own.origin.partition);
    return tierRecord(message, own, carried.failuresOf(message), {
      tier: step.tier,
      topic,
      dueMs,
      ...(partition === undefined ? {} : { partition }),
    });
  });
  return { step, writer: tiers.retryWriter, records, destination: records[0]?.topic ?? "" };
}

function deadLetterMove(deadLetter: NonNullable<FailureDestinations["deadLetter"]>, delivery: Delivery, step: Move["step"]): Move {
  const carried = carriedBy(delivery);
  const records = delivery.messages.map((message) => {
    const own = carried.stateOf(message);
    return deadLetterRecord(message, own, carried.failuresOf(message), deadLetter.topicOf(own.origin.topic));
  });
  return { step, writer: deadLetter.writer, records, destination: records[0]?.topic ?? "the dead-letter producer's topic" };
}

/** Writes the move's records, trying again after a retriable error until acknowledged or hard-stopped. */
async function writeUntilAcknowledged(move: Move, delivery: Delivery, handlerError: Error, report: Reporter): Promise<void> {
  const tier = move.step.kind === "tier";
  const failureOf = (writeError: unknown) =>
    tier
      ? new RetryTierError(delivery.message, move.destination, handlerError, writeError)
      : new DeadLetterError(delivery.message, handlerError, writeError);
  const phase = tier ? "retryTier" : "deadLetter";
  try {
    await withRetries(
      () => move.writer.writeMessages(...move.records),
      {
        retries: Infinity,
        waits: WRITE_WAITS,
        retryIf: isRetriableWriteError,
        onRetry: (writeError, _retry, waitMs) => {
          report(failureOf(writeError), { phase, message: delivery.message, retrying: true });
          delivery.logger.warn(
            { err: writeError, destination: move.destination, retryInMs: waitMs },
            `writing to the ${tier ? "retry tier" : "dead-letter topic"} failed; trying again`,
          );
        },
      },
      delivery.signal,
    );
  } catch (writeError) {
    const failure = failureOf(writeError);
    report(failure, { phase, message: delivery.message, retrying: false });
    throw failure;
  }
}
