import type { Logger } from "pino";
import type { Message } from "../message.js";
import { type MessageSummary, summarizeMessage, toPlain } from "./describe.js";
import { observe } from "./observe.js";
import { costOf } from "./timing.js";
import { type CallContext, type Cmd, type Interceptor, isReadOperation } from "./types.js";

/** Options of {@link accessInterceptor} (`enableAccessInterceptorReq` / `enableAccessInterceptorRes`). */
export interface AccessLogOptions {
  /** Log what the call was given: the messages written or committed, admin arguments. */
  request: boolean;
  /** Log what the call returned: the messages read, a Poll's event, admin results. */
  response: boolean;
}

/** How much of each key, value and header a log line keeps (payloads can be megabytes). */
const BYTES_LOGGED = 1024;
/** How many messages of one call a line lists (a batch can hold thousands). */
const MESSAGES_LOGGED = 20;

/** The fields of one access log line. */
export interface AccessFields {
  /** The component: always "ekafka". */
  comp: string;
  /** The config key of the instance, e.g. "kafka.producers.p1". */
  key: string;
  /** The instance's name, e.g. "p1". */
  name: string;
  /** The kind of client: "producer", "consumer", "consumerGroup" or "client". */
  type: string;
  /** The call, e.g. "WriteMessages", "Poll", "CreateTopics". */
  operation: string;
  /** Milliseconds. */
  cost: number;
  /** The configured topic (or topics joined by ","). */
  topic: string;
  /** The configured brokers, joined by ",". */
  brokers: string;
  /** How many messages the call carried. */
  count: number;
  /** What the call was given (messages cut to 20, each key, value and header to 1 KiB); only with `enableAccessInterceptorReq`. */
  req?: unknown;
  /** What the call returned, cut the same way; only with `enableAccessInterceptorRes`, and not when it failed. */
  res?: unknown;
  /** The error the call failed with; pino's `err` serializer writes its type, message and stack. */
  err?: unknown;
}

/**
 * One pino line per call (`enableAccessInterceptor`): info when it succeeded, error with `err` when it
 * failed. Payloads only when enabled, each key/value cut to 1 KiB. Place it inside the timing
 * interceptor, whose cost it logs.
 */
export function accessInterceptor(logger: Logger, options: AccessLogOptions): Interceptor {
  return (next) => async (ctx, messages, cmd) => {
    try {
      await next(ctx, messages, cmd);
    } catch (err) {
      observe("access", () => logger.error(accessFields(ctx, messages, cmd, options, err), "access"));
      throw err;
    }
    observe("access", () => logger.info(accessFields(ctx, messages, cmd, options), "access"));
  };
}

/** The fields of the line for one call; `err` given when it failed. */
export function accessFields(
  ctx: CallContext,
  messages: readonly Message[],
  cmd: Cmd,
  options: AccessLogOptions,
  ...failure: [err: unknown] | []
): AccessFields {
  const fields: AccessFields = {
    comp: ctx.component,
    key: ctx.key,
    name: ctx.name,
    type: ctx.kind,
    operation: cmd.operation,
    cost: Math.round(costOf(ctx) * 1000) / 1000,
    topic: ctx.topic,
    brokers: ctx.brokers.join(","),
    count: messages.length,
  };
  const read = isReadOperation(cmd.operation);
  if (options.request) setIfAny(fields, "req", payload(read ? [] : messages, cmd.request));
  if (options.response && failure.length === 0) setIfAny(fields, "res", payload(read ? messages : [], cmd.response));
  // pino's standard `err` serializer turns an Error into type/message/stack.
  if (failure.length > 0) fields.err = failure[0];
  return fields;
}

/** Messages and/or the other value as one JSON-safe payload, undefined when there is neither. */
function payload(messages: readonly Message[], other: unknown): unknown {
  const summaries = messages.slice(0, MESSAGES_LOGGED).map((m) => summarizeMessage(m, BYTES_LOGGED));
  // A Poll that returned a message may also put it in `response`; it is already in the list.
  const repeats = other === undefined || messages.includes(other as Message);
  const plainOther = repeats ? undefined : toPlain(other, BYTES_LOGGED);
  if (summaries.length === 0) return plainOther;
  const result: { messages: MessageSummary[]; more?: number; details?: unknown } = { messages: summaries };
  if (messages.length > summaries.length) result.more = messages.length - summaries.length;
  if (plainOther !== undefined) result.details = plainOther;
  return result;
}

function setIfAny(fields: AccessFields, name: "req" | "res", value: unknown): void {
  if (value !== undefined) fields[name] = value;
}
