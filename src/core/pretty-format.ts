import { createRequire } from "node:module";
import type * as PinoPretty from "pino-pretty";

/** Something lines can be written to: `process.stdout`, a file stream, or an array-backed test sink. */
export interface LineSink {
  /** Takes one line, newline included; what it returns is ignored. */
  write(line: string): unknown;
}

// pino-pretty is loaded on first use, so a service writing JSON (production) never pays its start-up
// time; only a person at a terminal does, once.
const loadPackage = createRequire(import.meta.url);
const formatters = new Map<boolean, (jsonLine: string) => string>();

function formatter(colors: boolean): (jsonLine: string) => string {
  let format = formatters.get(colors);
  if (format === undefined) {
    const { prettyFactory } = loadPackage("pino-pretty") as typeof PinoPretty;
    const pretty = prettyFactory({
      colorize: colors,
      translateTime: "SYS:HH:MM:ss.l",
      // comp and key are shown before the message; pid and hostname say nothing at a terminal.
      ignore: "pid,hostname,comp,key",
      messageFormat: "{if comp}[{comp} {key}] {end}{msg}",
      singleLine: true,
    });
    format = (jsonLine) => pretty(jsonLine);
    formatters.set(colors, format);
  }
  return format;
}

/**
 * Wraps `sink` so each pino JSON line is written as a human-readable line instead (pino-pretty):
 * `[12:04:05.123] INFO: [ekafka kafka] message {"field":"value"}`, followed by an error's stack when
 * present. Synchronous: a line is in `sink` when the log call returns.
 */
export function prettyDestination(sink: LineSink, colors: boolean): LineSink {
  const format = formatter(colors);
  return { write: (line: string) => sink.write(format(line)) };
}

/** One pino JSON line, formatted for a person reading a terminal (ANSI colours when `colors`). */
export function formatLine(jsonLine: string, colors: boolean): string {
  return formatter(colors)(jsonLine);
}
