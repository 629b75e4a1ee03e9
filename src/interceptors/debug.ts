import type { Message } from "../message.js";
import { errorText, messagesLine, valueText } from "./describe.js";
import { observe } from "./observe.js";
import { costOf } from "./timing.js";
import { type CallContext, type Cmd, type Interceptor, isReadOperation } from "./types.js";

/** Options of {@link debugInterceptor}. */
export interface DebugOptions {
  /** Where each line goes, newline included; default `process.stderr.write`. */
  write?: (line: string) => void;
  /** ANSI colours (error in red); default: when stderr is a terminal and `NO_COLOR` is not set. */
  color?: boolean;
}

/** How many messages of a call the line shows, and how much of each key and value. */
const MESSAGES_SHOWN = 3;
const BYTES_SHOWN = 64;
/** A cap on the request/response text, so one line stays one screen line or so. */
const TEXT_SHOWN = 512;

const ANSI = { red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", blue: "\x1b[34m", reset: "\x1b[0m" };

/**
 * With `debug = true`: one readable line per call, as Go ekafka prints in development, e.g.
 *
 * ```
 * 2025-01-01T10:00:00.000Z [ekafka] kafka.producers.p1 127.0.0.1:9091,127.0.0.1:9092 [3.214ms] WriteMessages | 1 msg [{orders/-1 key="k" value="hello"}] => ok
 * ```
 *
 * It knows only the call (CallContext, Cmd, messages), never the configuration, so it cannot print a
 * secret. Place it inside the timing interceptor, whose cost it shows.
 */
export function debugInterceptor(options: DebugOptions = {}): Interceptor {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const paint = painter(options.color ?? defaultColor());
  return (next) => async (ctx, messages, cmd) => {
    try {
      await next(ctx, messages, cmd);
    } catch (err) {
      observe("debug", () => write(debugLine(ctx, messages, cmd, { failed: true, err }, paint)));
      throw err;
    }
    observe("debug", () => write(debugLine(ctx, messages, cmd, { failed: false }, paint)));
  };
}

/** How a call ended, for {@link debugLine}: succeeded, or failed with `err`. */
export type DebugOutcome =
  | {
      /** false: the call succeeded; the line ends with what it returned. */
      failed: false;
    }
  | {
      /** true: the call failed with `err`. */
      failed: true;
      /** What it failed with, described after `ERROR` at the end of the line. */
      err: unknown;
    };
/** Colours one part of a {@link debugLine} (e.g. with ANSI escapes); the default leaves the text as it is. */
export type DebugPaint = (color: "red" | "green" | "yellow" | "blue", text: string) => string;

/** The line for one call, newline included. */
export function debugLine(
  ctx: CallContext,
  messages: readonly Message[],
  cmd: Cmd,
  outcome: DebugOutcome,
  paint: DebugPaint = (_c, t) => t,
): string {
  const read = isReadOperation(cmd.operation);
  const result = outcome.failed ? paint("red", `ERROR ${errorText(outcome.err)}`) : paint("blue", responseText(read ? messages : [], cmd));
  return (
    [
      new Date().toISOString(),
      paint("green", `[${ctx.component}]`),
      ctx.key,
      ctx.brokers.join(","),
      paint("yellow", `[${costOf(ctx).toFixed(3)}ms]`),
      cmd.operation,
      "|",
      requestText(read ? [] : messages, cmd),
      "=>",
      result,
    ].join(" ") + "\n"
  );
}

/** The messages handed in (writes, commits) and any other request arguments. */
function requestText(messages: readonly Message[], cmd: Cmd): string {
  const parts: string[] = [];
  if (messages.length > 0) parts.push(messagesLine(messages, MESSAGES_SHOWN, BYTES_SHOWN));
  if (cmd.request !== undefined) parts.push(valueText(cmd.request, TEXT_SHOWN));
  return parts.length > 0 ? parts.join(" ") : "-";
}

/** The messages read (reads) and any other result; "ok" when the call has nothing more to say. */
function responseText(messages: readonly Message[], cmd: Cmd): string {
  const parts: string[] = [];
  if (messages.length > 0) parts.push(messagesLine(messages, MESSAGES_SHOWN, BYTES_SHOWN));
  // A Poll that returned a message may also put it in `response`; printing it twice says nothing new.
  const repeatsMessage = messages.length > 0 && messages.includes(cmd.response as Message);
  if (cmd.response !== undefined && !repeatsMessage) parts.push(valueText(cmd.response, TEXT_SHOWN));
  return parts.length > 0 ? parts.join(" ") : "ok";
}

function painter(color: boolean): DebugPaint {
  return color ? (c, text) => `${ANSI[c]}${text}${ANSI.reset}` : (_c, text) => text;
}

function defaultColor(): boolean {
  return process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined;
}
