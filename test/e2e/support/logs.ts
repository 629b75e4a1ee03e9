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
