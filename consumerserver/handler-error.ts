import type { Message } from "../src/index.js";

/**
 * What a handler failed with when it threw (or rejected with) something that is not an `Error` — a
 * string, `undefined`, a plain object. The server reports and rejects with Errors only, so the value is
 * wrapped, and the message says which Kafka message was being handled, since a bare `"oops"` would not.
 */
export class ThrownValueError extends Error {
  /** Always "ThrownValueError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "ThrownValueError";

  /**
   * @param value what the handler threw
   * @param doing what the handler was doing, e.g. `handling topic "t" partition 0 offset 5`
   */
  constructor(
    readonly value: unknown,
    doing: string,
  ) {
    super(`the handler threw a non-Error value (${describeValue(value)}) while ${doing}`);
  }
}

/** `value` itself when it is an Error, else a {@link ThrownValueError} naming `message`. */
export function toError(value: unknown, message: Pick<Message, "topic" | "partition" | "offset">): Error {
  return value instanceof Error ? value : new ThrownValueError(value, `handling ${describeMessage(message)}`);
}

/** `topic "t" partition 2 offset 17`, for log lines and error messages. */
export function describeMessage(message: Pick<Message, "topic" | "partition" | "offset">): string {
  return `topic "${message.topic}" partition ${message.partition} offset ${message.offset}`;
}

const MAX_SHOWN = 200;

function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return `string ${JSON.stringify(truncate(value))}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "symbol") return value.toString();
  if (typeof value === "function") return "a function";
  try {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only when JSON.stringify gives nothing: String() is the last resort
    return `object ${truncate(JSON.stringify(value) ?? String(value))}`;
  } catch {
    return "an object that cannot be shown";
  }
}

function truncate(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN)}…`;
}
