/** Something lines can be written to: `process.stdout`, a file stream, or an array-backed test sink. */
export interface LineSink {
  write(line: string): unknown;
}

const LEVEL_LABELS: Readonly<Record<number, string>> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const LEVEL_COLORS: Readonly<Record<number, string>> = { 10: "90", 20: "36", 30: "32", 40: "33", 50: "31", 60: "35" };
// Fields every pino line carries that the human format shows elsewhere or not at all.
const SHOWN_ELSEWHERE = new Set(["level", "time", "pid", "hostname", "comp", "key", "msg", "err"]);

/**
 * Wraps `sink` so each pino JSON line is written as one human-readable line instead:
 * `12:04:05.123 INFO  [ekafka kafka] message field=value`, followed by an error's stack when present.
 * A line that is not JSON is passed through untouched.
 */
export function prettyDestination(sink: LineSink, colors: boolean): LineSink {
  return { write: (line: string) => sink.write(formatLine(line, colors)) };
}

/** One pino JSON line, formatted for a person reading a terminal. */
export function formatLine(jsonLine: string, colors: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const paint = (code: string | undefined, text: string) => (colors && code !== undefined ? `\u001b[${code}m${text}\u001b[0m` : text);
  const level = typeof entry.level === "number" ? entry.level : 30;
  const parts = [
    paint("90", clockTime(entry.time)),
    paint(LEVEL_COLORS[level], (LEVEL_LABELS[level] ?? String(level)).padEnd(5)),
    componentLabel(entry),
    typeof entry.msg === "string" ? entry.msg : "",
    extraFields(entry),
  ].filter((part) => part !== "");
  return `${parts.join(" ")}${errorDetails(entry.err)}\n`;
}

function clockTime(time: unknown): string {
  const date = typeof time === "number" ? new Date(time) : new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function componentLabel(entry: Record<string, unknown>): string {
  const names = [entry.comp, entry.key].filter((name) => typeof name === "string" && name !== "");
  return names.length === 0 ? "" : `[${names.join(" ")}]`;
}

function extraFields(entry: Record<string, unknown>): string {
  return Object.entries(entry)
    .filter(([name]) => !SHOWN_ELSEWHERE.has(name))
    .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

function errorDetails(err: unknown): string {
  if (typeof err !== "object" || err === null) return "";
  const { stack, message } = err as { stack?: unknown; message?: unknown };
  const text = typeof stack === "string" ? stack : typeof message === "string" ? message : JSON.stringify(err);
  return `\n${text.replace(/^/gm, "    ")}`;
}
