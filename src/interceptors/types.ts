import type { Context } from "@opentelemetry/api";
import type { Message } from "../message.js";

/** What kind of client a call belongs to. */
export type ClientKind = "producer" | "consumer" | "consumerGroup" | "client";

/** The operation being intercepted, mutable by interceptors. Mirrors Go ekafka's `cmd`. */
export interface Cmd {
  /**
   * e.g. "WriteMessages", "ReadMessage", "FetchMessage", "CommitMessages", "Poll", "CreateTopics",
   * "DeleteTopics", "ListTopics", "ListOffsets", "OffsetFetch", "Ping"
   */
  operation: string;
  /** Request details beyond messages (admin args etc.), for logs. */
  request?: unknown;
  /** Set by the innermost call: the result, for logs (e.g. the event a Poll returned). */
  response?: unknown;
  /** Set by the chain runner: the error the call ended with, if any. */
  error?: unknown;
}

/**
 * Where a call comes from. The identifying fields are fixed per client instance; `values` and
 * `otelContext` belong to one call, so give each call its own object (e.g. `{ ...base, values: new Map() }`):
 * the timing interceptor keeps the call's start time in `values`.
 */
export interface CallContext {
  /** Always "ekafka". */
  component: string;
  /** Config key of the instance, e.g. "kafka.producers.p1". */
  key: string;
  /** Instance name, e.g. "p1". */
  name: string;
  /** Which kind of client makes the call. */
  kind: ClientKind;
  /** The brokers the instance was configured with (`kafka.brokers`). */
  brokers: readonly string[];
  /** The configured topic (or topics joined by ","). */
  topic: string;
  /** Per-call scratch space for interceptors (e.g. start time). */
  values: Map<string | symbol, unknown>;
  /**
   * OpenTelemetry context of the call: set by the trace interceptor on consume (from the first
   * message's headers); read on produce, before `context.active()`, so a caller can pass it explicitly.
   */
  otelContext?: Context;
}

/**
 * The wrapped operation. For writes, `messages` holds the messages to write (interceptors may change
 * them before calling next). For reads, the innermost function pushes the messages it read into
 * `messages` (so after `await next(...)` an interceptor sees them).
 */
export type ProcessFn = (ctx: CallContext, messages: Message[], cmd: Cmd) => Promise<void>;

/** Wraps a ProcessFn; call `next` to go on with the call, and rethrow what it throws. */
export type Interceptor = (next: ProcessFn) => ProcessFn;

/** Operations whose messages are the result of the call rather than its input. */
const READ_OPERATIONS: ReadonlySet<string> = new Set(["ReadMessage", "FetchMessage", "Poll"]);

/**
 * Whether `operation` reads messages: its messages are filled in by the call (a response), where a
 * write's or a commit's messages are what the caller handed in (a request).
 */
export function isReadOperation(operation: string): boolean {
  return READ_OPERATIONS.has(operation);
}
