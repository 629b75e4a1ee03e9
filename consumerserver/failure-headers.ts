import type { Header, Message, MessageInput } from "../src/index.js";

/** Headers a dead-lettered message carries, saying why it is there and where it came from. */
export const DEAD_LETTER_HEADERS = Object.freeze({
  /** `<error name>: <error message>` of the final failure. */
  error: "x-ekafka-error",
  /** How many times the handler was called for the message. */
  attempts: "x-ekafka-attempts",
  /** The topic the message was first read from. */
  originalTopic: "x-ekafka-original-topic",
  /** The partition it was first read from, in decimal. */
  originalPartition: "x-ekafka-original-partition",
  /** Its offset there, in decimal: with the topic and partition, where to find the original. */
  originalOffset: "x-ekafka-original-offset",
});

/**
 * Headers of a record in a retry topic, and of every dead-letter record (besides {@link DEAD_LETTER_HEADERS}).
 * Kafka keeps headers as a list, so a header per attempt is a plain repeated pattern.
 */
export const RETRY_TIER_HEADERS = Object.freeze({
  /** The tier the record waits in (1 for the first); on a dead letter, the last tier it went through (0: none). */
  tier: "x-ekafka-retry-tier",
  /** When the record becomes due, as an ISO 8601 time. */
  due: "x-ekafka-retry-due",
  /** Handler calls so far, over all tiers. */
  attempts: DEAD_LETTER_HEADERS.attempts,
  /** `<error name>: <error message>` of the latest failure. */
  error: DEAD_LETTER_HEADERS.error,
  /** Where the message was first read: its topic, partition and offset. */
  originalTopic: DEAD_LETTER_HEADERS.originalTopic,
  /** The partition it was first read from, in decimal. */
  originalPartition: DEAD_LETTER_HEADERS.originalPartition,
  /** Its offset there, in decimal. */
  originalOffset: DEAD_LETTER_HEADERS.originalOffset,
  /** The original key (also the record's key); absent for a null key. */
  originalKey: "x-ekafka-original-key",
  /**
   * One header per failed handler call, `x-ekafka-attempt-<k>` for call k:
   * `<ISO time> <topic>[<partition>]@<offset> <error name>: <error message>`.
   */
  attemptPrefix: "x-ekafka-attempt-",
});

// A long error (a stack in the message, say), once per attempt, must not make the record too large for the broker.
const MAX_ERROR_TEXT = 4096;

const OURS = new Set<string>([
  ...Object.values(DEAD_LETTER_HEADERS),
  RETRY_TIER_HEADERS.tier,
  RETRY_TIER_HEADERS.due,
  RETRY_TIER_HEADERS.originalKey,
]);

/** Whether `key` is one of the headers this module writes (and replaces on every hop). */
export function isTierHeader(key: string): boolean {
  return OURS.has(key) || key.startsWith(RETRY_TIER_HEADERS.attemptPrefix);
}

/** Where a message was first read. */
export interface Origin {
  topic: string;
  partition: number;
  offset: number;
}

/** One failed handler call. */
export interface Failure {
  /** The call's number over all tiers (1 = the first call). */
  attempt: number;
  at: Date;
  error: Error;
  /** The record the call handled: the original, or its copy in a retry topic. */
  topic: string;
  partition: number;
  offset: number;
}

/** A message's progress through the tiers. */
export interface TierState {
  /** 0 for a message read from its own topic, n for one read from tier n's retry topic. */
  tier: number;
  /** Handler calls before this read. */
  attempts: number;
  /** When it becomes due (ms since the epoch); undefined for a message of its own topic. */
  dueMs: number | undefined;
  origin: Origin;
  /** The `x-ekafka-attempt-<k>` headers it carries. */
  history: Header[];
}

/** The state of a message read from its own topic: no tier, no attempt yet. */
export function freshState(message: Message): TierState {
  return {
    tier: 0,
    attempts: 0,
    dueMs: undefined,
    origin: { topic: message.topic, partition: message.partition, offset: message.offset },
    history: [],
  };
}

/**
 * The state a retry-topic record carries in its headers. A record without them (written to a retry
 * topic by something else) counts as due now, in tier `tierOfTopic`, from where it was read.
 */
export function stateOf(message: Message, tierOfTopic: number): TierState {
  const number = (key: string) => {
    const text = message.header(key);
    const value = text === undefined ? Number.NaN : Number(text);
    return Number.isFinite(value) ? value : undefined;
  };
  const dueText = message.header(RETRY_TIER_HEADERS.due);
  const due = dueText === undefined ? Number.NaN : Date.parse(dueText);
  const topic = message.header(RETRY_TIER_HEADERS.originalTopic);
  const partition = number(RETRY_TIER_HEADERS.originalPartition);
  const offset = number(RETRY_TIER_HEADERS.originalOffset);
  return {
    tier: tierOfTopic,
    attempts: number(RETRY_TIER_HEADERS.attempts) ?? 0,
    dueMs: Number.isFinite(due) ? due : undefined,
    origin:
      topic !== undefined && partition !== undefined && offset !== undefined
        ? { topic, partition, offset }
        : { topic: message.topic, partition: message.partition, offset: message.offset },
    history: message.headers.filter((header) => header.key.startsWith(RETRY_TIER_HEADERS.attemptPrefix)),
  };
}

/** The record that puts `message` into tier `tier` (topic `topic`), due at `dueMs`. */
export function tierRecord(
  message: Message,
  state: TierState,
  failures: readonly Failure[],
  next: { tier: number; topic: string; partition?: number; dueMs: number },
): MessageInput {
  const headers = [
    ...carried(message, state, failures),
    header(RETRY_TIER_HEADERS.tier, String(next.tier)),
    header(RETRY_TIER_HEADERS.due, new Date(next.dueMs).toISOString()),
  ];
  return {
    topic: next.topic,
    ...(next.partition === undefined ? {} : { partition: next.partition }),
    key: message.key,
    value: message.value,
    headers,
  };
}

/**
 * The dead-letter record of `message` — the only one ekafka writes, with or without retry tiers: its key,
 * value and own headers, plus {@link DEAD_LETTER_HEADERS} (naming where it was first read, not a retry
 * topic), the tier it reached and one header per attempt.
 * @param topic the dead-letter topic, or undefined for the producer's configured one
 */
export function deadLetterRecord(
  message: Message,
  state: TierState,
  failures: readonly Failure[],
  topic: string | undefined,
): MessageInput {
  const headers = [...carried(message, state, failures), header(RETRY_TIER_HEADERS.tier, String(state.tier))];
  return { ...(topic === undefined ? {} : { topic }), key: message.key, value: message.value, headers };
}

/** The message's own headers, then ours: origin, attempts, latest error and the whole history. */
function carried(message: Message, state: TierState, failures: readonly Failure[]): Header[] {
  const latest = failures.at(-1);
  const attempts = latest?.attempt ?? state.attempts;
  const headers: Header[] = [
    ...message.headers.filter((h) => !isTierHeader(h.key)),
    header(RETRY_TIER_HEADERS.originalTopic, state.origin.topic),
    header(RETRY_TIER_HEADERS.originalPartition, String(state.origin.partition)),
    header(RETRY_TIER_HEADERS.originalOffset, String(state.origin.offset)),
    header(RETRY_TIER_HEADERS.attempts, String(attempts)),
    ...state.history,
    ...failures.map((failure) => header(`${RETRY_TIER_HEADERS.attemptPrefix}${failure.attempt}`, describeFailure(failure))),
  ];
  if (latest !== undefined) headers.push(header(RETRY_TIER_HEADERS.error, errorText(latest.error)));
  else {
    const previous = message.header(RETRY_TIER_HEADERS.error);
    if (previous !== undefined) headers.push(header(RETRY_TIER_HEADERS.error, previous));
  }
  if (message.key !== null) headers.push({ key: RETRY_TIER_HEADERS.originalKey, value: message.key });
  return headers;
}

function describeFailure(failure: Failure): string {
  return `${failure.at.toISOString()} ${failure.topic}[${failure.partition}]@${failure.offset} ${errorText(failure.error)}`;
}

function errorText(error: Error): string {
  const text = `${error.name}: ${error.message}`;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

function header(key: string, value: string): Header {
  return { key, value: Buffer.from(value, "utf8") };
}
