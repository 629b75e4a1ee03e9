import type { Message, MessageInput } from "../src/index.js";
import { deadLetterRecord, freshState } from "./failure-headers.js";
import { describeMessage } from "./handler-error.js";

export { DEAD_LETTER_HEADERS } from "./failure-headers.js";

/** Suffix of the dead-letter topic when the producer has no topic configured (Spring Kafka's convention). */
export const DEAD_LETTER_TOPIC_SUFFIX = ".DLT";

/**
 * Writing a message to the dead-letter producer failed: the message is neither handled nor parked, so
 * the server stops without committing it. `cause` is the write error; `handlerError` is why the message
 * was being dead-lettered.
 */
export class DeadLetterError extends Error {
  /** Always "DeadLetterError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "DeadLetterError";

  constructor(
    message: { topic: string; partition: number; offset: number },
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
 * The record the Consumer Server writes to the dead-letter topic for `message`, read from its own topic,
 * after `attempts` handler calls of which the last failed with `error` (see `deadLetterRecord` for the
 * headers: `x-ekafka-*` headers replace ones the message already had, when a dead letter is
 * dead-lettered again).
 *
 * @param topic the dead-letter topic, or undefined to let the producer's configured topic apply
 */
export function deadLetterMessage(message: Message, error: Error, attempts: number, topic?: string): MessageInput {
  const state = freshState(message);
  const failure = { attempt: attempts, at: new Date(), error, topic: message.topic, partition: message.partition, offset: message.offset };
  return deadLetterRecord(message, state, [failure], topic);
}
