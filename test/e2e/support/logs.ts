// Log lines a test reads back: a pino logger writing into an array.
import { Writable } from "node:stream";
import { pino, type Level, type Logger } from "pino";

/** A pino logger at `level` whose JSON lines are pushed onto `lines`, one string per line. */
export function collectingLogger(lines: string[], level: Level = "info"): Logger {
  return pino(
    { level },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(line);
        done();
      },
    }),
  );
}

/** The collected lines parsed, for tests that look at fields. */
export const parsed = (lines: readonly string[]): Array<Record<string, unknown>> =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * The pino JSON lines at warn level and above among `lines` (other text is skipped), each as
 * "msg: error message": what a test prints so that a failure says what the code under test complained of.
 */
export function warningsIn(lines: readonly string[]): string[] {
  return lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } })
    .filter((entry) => (entry.level ?? 0) >= 40)
    .map((entry) => `${entry.msg}${entry.err?.message ? `: ${entry.err.message}` : ""}`);
}
