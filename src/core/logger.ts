import { pino, type DestinationStream, type Level, type LevelWithSilent, type Logger } from "pino";
import { prettyDestination, type LineSink } from "./pretty-format.js";

export type { Logger } from "pino";
export type { LineSink } from "./pretty-format.js";

/** How the root logger is built. */
export interface RootLoggerOptions {
  /** Minimum level; defaults to `"info"`. */
  level?: LevelWithSilent;
  /** Where lines go; defaults to stdout. */
  destination?: LineSink;
  /** Human-readable lines instead of JSON; defaults to {@link shouldPrettyPrint} for stdout. */
  pretty?: boolean;
}

/** Options for {@link createLogger}. */
export interface ComponentLoggerOptions {
  /** The logger to derive from; defaults to the current root {@link logger}. */
  parent?: Logger;
  /** A level for this component only; defaults to the parent's. */
  level?: LevelWithSilent;
}

/**
 * Whether to write human-readable lines: only for a person at a terminal, never in production, where
 * a log collector wants one JSON object per line.
 */
export function shouldPrettyPrint(stream: { isTTY?: boolean } | object = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return "isTTY" in stream && stream.isTTY === true && env.NODE_ENV !== "production";
}

/**
 * A pino logger writing JSON lines (or, with `pretty`, human lines) to `destination`.
 * Pass it to {@link setLogger} to make it the root.
 */
export function createRootLogger(options: RootLoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && shouldPrettyPrint());
  const sink = options.destination ?? standardOutput();
  const colors = shouldPrettyPrint(options.destination ?? process.stdout);
  const destination: DestinationStream = pretty ? prettyDestination(sink, colors) : toDestination(sink);
  return pino({ level: options.level ?? "info" }, destination);
}

// Synchronous, so the last lines before process.exit() are not lost.
function standardOutput(): LineSink {
  return pino.destination({ dest: 1, sync: true });
}

function toDestination(sink: LineSink): DestinationStream {
  return { write: (line: string) => void sink.write(line) };
}

/**
 * The root logger. Component loggers are children of it (see {@link createLogger}); replace it with
 * {@link setLogger}. This is a live binding: importers see the replacement.
 */
export let logger: Logger = createRootLogger();

// Children copy their level when created; remember them so setLogLevel can reach them later.
const componentLoggers = new Set<WeakRef<Logger>>();

/**
 * A logger for one component instance: every line carries `comp` (the component, e.g. `"ekafka"`) and
 * `key` (its config key, e.g. `"kafka"`), so lines from two instances can be told apart.
 */
export function createLogger(component: string, key: string, options: ComponentLoggerOptions = {}): Logger {
  const parent = options.parent ?? logger;
  const child = parent.child({ comp: component, key }, options.level === undefined ? undefined : { level: options.level });
  componentLoggers.add(new WeakRef(child));
  return child;
}

/** Makes `next` the root logger; component loggers created afterwards derive from it. */
export function setLogger(next: Logger): void {
  logger = next;
}

/**
 * Sends the lines of loggers created from now on to `destination` (JSON unless `pretty`), e.g. an
 * array-backed sink in a test. Shorthand for `setLogger(createRootLogger({ destination, level }))`.
 */
export function setLogDestination(destination: LineSink, options: Omit<RootLoggerOptions, "destination"> = {}): Logger {
  setLogger(createRootLogger({ level: logger.level as LevelWithSilent, ...options, destination }));
  return logger;
}

/** Sets the level of the root logger and of every component logger created so far. */
export function setLogLevel(level: Level | "silent"): void {
  logger.level = level;
  for (const reference of componentLoggers) {
    const child = reference.deref();
    if (child === undefined) componentLoggers.delete(reference);
    else child.level = level;
  }
}
