import type { Header, Message, MessageInput } from "../src/index.js";
import type { Delivery, Middleware } from "./delivery.js";
import type { Reporter } from "./error-report.js";
import { describeMessage } from "./handler-error.js";
import { recovering } from "./sync-step.js";

/** Headers a dead-lettered message carries, saying why it is there and where it came from. */
export const DEAD_LETTER_HEADERS = Object.freeze({
  /** `<error name>: <error message>` of the final failure. */
  error: "x-ekafka-error",
  /** How many times the handler was called for the message. */
  attempts: "x-ekafka-attempts",
  /** The topic the message was read from. */
  originalTopic: "x-ekafka-original-topic",
  /** The partition it was read from, in decimal. */
  originalPartition: "x-ekafka-original-partition",
  /** Its offset there, in decimal: with the topic and partition, where to find the original. */
  originalOffset: "x-ekafka-original-offset",
});

/** Suffix of the dead-letter topic when the producer has no topic configured (Spring Kafka's convention). */
export const DEAD_LETTER_TOPIC_SUFFIX = ".DLT";

// A long stack or message must not make the record too large for the broker.
const MAX_ERROR_HEADER_LENGTH = 4096;

/** Writes messages to the dead-letter topic; the ekafka Producer is one. */
export interface DeadLetterWriter {
  writeMessages(...messages: MessageInput[]): Promise<void>;
}

/**
 * Writing a message to the dead-letter producer failed: the message is neither handled nor parked, so
 * the server stops without committing it. `cause` is the write error; `handlerError` is why the message
 * was being dead-lettered.
 */
export class DeadLetterError extends Error {
  /** Always "DeadLetterError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "DeadLetterError";

  constructor(
    message: Message,
    /** The handler's failure that sent the message to the dead-letter producer. */
    readonly handlerError: Error,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `writing ${describeMessage(message)} to the dead-letter producer failed (${reason}); it had failed with: ${handlerError.message}`,
      { cause },
    );
  }
}

/**
 * The record written to the dead-letter topic for `message`: its key, value and headers, plus the
 * `x-ekafka-*` headers (replacing ones it already had, when a dead letter is dead-lettered again).
 *
 * @param topic the dead-letter topic, or undefined to let the producer's configured topic apply
 */
export function deadLetterMessage(message: Message, error: Error, attempts: number, topic?: string): MessageInput {
  const ours = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  const errorText = `${error.name}: ${error.message}`;
  const headers: Header[] = [
    ...message.headers.filter((header) => !ours.has(header.key)),
    header(
      DEAD_LETTER_HEADERS.error,
      errorText.length > MAX_ERROR_HEADER_LENGTH ? `${errorText.slice(0, MAX_ERROR_HEADER_LENGTH)}…` : errorText,
    ),
    header(DEAD_LETTER_HEADERS.attempts, String(attempts)),
    header(DEAD_LETTER_HEADERS.originalTopic, message.topic),
    header(DEAD_LETTER_HEADERS.originalPartition, String(message.partition)),
    header(DEAD_LETTER_HEADERS.originalOffset, String(message.offset)),
  ];
  return { ...(topic === undefined ? {} : { topic }), key: message.key, value: message.value, headers };
}

function header(key: string, value: string): Header {
  return { key, value: Buffer.from(value, "utf8") };
}

/**
 * Parks a message whose handling failed for good — retries exhausted, or an error that is not
 * recoverable — on the dead-letter topic, so that consumption goes on instead of stopping. The message
 * then counts as handled (its offset is committed). For a batch, every message not resolved yet is
 * parked, each with the batch's error and attempts, in one write. When the write fails, the delivery
 * fails with a {@link DeadLetterError}. A hard stop (aborted signal) is passed through, never
 * dead-lettered.
 *
 * @param topicOf the dead-letter topic for a message, or undefined for the producer's own topic
 */
export function deadLettering(producer: DeadLetterWriter, topicOf: (message: Message) => string | undefined, report: Reporter): Middleware {
  return recovering((_next, delivery, error) => parkAfter(delivery, error, producer, topicOf, report));
}

/** After the last failure (`error`): parks the delivery's messages, unless a hard stop abandoned them. */
async function parkAfter(
  delivery: Delivery,
  error: unknown,
  producer: DeadLetterWriter,
  topicOf: (message: Message) => string | undefined,
  report: Reporter,
): Promise<void> {
  if (delivery.signal.aborted) throw error;
  const handlerError = error as Error;
  try {
    const parked = delivery.messages.map((message) => deadLetterMessage(message, handlerError, delivery.attempts, topicOf(message)));
    await producer.writeMessages(...parked);
  } catch (writeError) {
    const failure = new DeadLetterError(delivery.message, handlerError, writeError);
    report(failure, { phase: "deadLetter", message: delivery.message, retrying: false });
    throw failure;
  }
  delivery.logger.warn(
    { err: handlerError, attempts: delivery.attempts, messages: delivery.messages.length },
    "sent to the dead-letter producer",
  );
}
