import { Backoff, type Message, type MessageInput } from "../../src/index.js";
import { delay } from "../delay.js";
import type { Delivery, Middleware } from "../delivery.js";
import type { Reporter } from "../error-report.js";
import { describeMessage } from "../handler-error.js";
import { failuresOf, tierStateOf } from "./delivery-state.js";
import { deadLetterRecord, freshState, tierRecord } from "./headers.js";
import { nextStep, type NextStep } from "./next-step.js";
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
  /** Always "RetryTierError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "RetryTierError";

  constructor(
    message: { topic: string; partition: number; offset: number },
    destination: string,
    /** The handler's failure that was moving the message to its next tier (or to the dead-letter topic). */
    readonly handlerError: Error,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`writing ${describeMessage(message)} to ${destination} failed (${reason}); it had failed with: ${handlerError.message}`, {
      cause,
    });
  }
}

/**
 * The writing half of retry tiers. When the steps inside (in-place retries, the handler) fail, the
 * delivery's messages are written to the next tier's retry topic — due after that tier's delay — or,
 * after the last tier or for an error that is not recoverable, to the dead-letter topic with every
 * attempt in their headers. The delivery then counts as handled once the write was acknowledged, so
 * the offsets are committed after the copies are safe: a crash in between gives a duplicate, never a
 * loss. A write that fails with a retriable error (a broker down, a leader moving) is tried again with
 * a backoff, holding up the partition meanwhile; any other write error fails the delivery with a
 * {@link RetryTierError}. A hard stop is passed through untouched.
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

/** The records of a failed delivery and who writes them. */
interface Move {
  step: NextStep;
  writer: RecordWriter;
  records: MessageInput[];
  destination: string;
}

async function moveOn(destinations: TierDestinations, delivery: Delivery, handlerError: Error, report: Reporter): Promise<void> {
  const move = planMove(destinations, delivery, handlerError);
  await writeUntilAcknowledged(move, delivery, handlerError, report);
  const fields = { err: handlerError, attempts: delivery.attempts, destination: move.destination, messages: move.records.length };
  if (move.step.kind === "tier")
    delivery.logger.warn({ ...fields, tier: move.step.tier, delayMs: move.step.delayMs }, "handler failed; moved to a retry tier");
  else delivery.logger.warn({ ...fields, reason: move.step.reason }, "handler failed; sent to the dead-letter topic");
}

/**
 * Where the delivery's messages go: every message not handled yet (one, or a batch's unresolved ones),
 * each carrying the failures of this delivery.
 */
function planMove(destinations: TierDestinations, delivery: Delivery, handlerError: Error): Move {
  const state = tierStateOf(delivery);
  const failures = failuresOf(delivery);
  const step = nextStep(destinations.settings, state.tier, handlerError);
  const stateOf = (message: Message) => (message === delivery.message ? state : { ...freshState(message), tier: state.tier });
  if (step.kind === "tier") {
    const dueMs = Date.now() + step.delayMs;
    const records = delivery.messages.map((message) => {
      const own = stateOf(message);
      const topic = destinations.retryTopic(own.origin.topic, step.tier);
      const partition = destinations.retryPartition(topic, own.origin.partition);
      return tierRecord(message, own, failures, { tier: step.tier, topic, dueMs, ...(partition === undefined ? {} : { partition }) });
    });
    return { step, writer: destinations.retryWriter, records, destination: records[0]?.topic ?? "" };
  }
  const records = delivery.messages.map((message) => {
    const own = stateOf(message);
    return deadLetterRecord(message, own, failures, destinations.deadLetterTopic(own.origin.topic));
  });
  return { step, writer: destinations.deadLetterWriter, records, destination: records[0]?.topic ?? "the dead-letter producer's topic" };
}

/** Writes the move's records, trying again after a retriable error until acknowledged or hard-stopped. */
async function writeUntilAcknowledged(move: Move, delivery: Delivery, handlerError: Error, report: Reporter): Promise<void> {
  const backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
  for (;;) {
    try {
      await move.writer.writeMessages(...move.records);
      return;
    } catch (writeError) {
      const failure = new RetryTierError(delivery.message, move.destination, handlerError, writeError);
      const again = isRetriable(writeError) && !delivery.signal.aborted;
      report(failure, { phase: move.step.kind === "tier" ? "retryTier" : "deadLetter", message: delivery.message, retrying: again });
      if (!again) throw failure;
      const waitMs = backoff.next();
      delivery.logger.warn(
        { err: writeError, destination: move.destination, retryInMs: waitMs },
        "writing to the retry tier failed; trying again",
      );
      if (!(await delay(waitMs, delivery.signal))) throw failure;
    }
  }
}

/** Whether a write error may pass (librdkafka's `retriable` flag, e.g. a message timed out while a broker was down). */
function isRetriable(error: unknown): boolean {
  const flags = error as { retriable?: unknown; fatal?: unknown } | null;
  return typeof flags === "object" && flags !== null && flags.retriable === true && flags.fatal !== true;
}
