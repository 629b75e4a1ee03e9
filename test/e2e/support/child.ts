// Child processes for tests that signal or kill a process: compiling the TypeScript fixtures they run
// (Node 20 cannot run TypeScript; test/support/compile-fixture.ts), spawning them with their output
// captured, and reading the record files they append to.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { compileFixtures as compile, removeCompiled as removeFolder } from "../../support/compile-fixture.js";
import { repoRoot } from "./env.js";

/**
 * The environment variable naming the folder where the e2e global setup compiled every child fixture
 * (each `*-child.ts` under test/e2e/fixtures) once for the whole run: six files compiling the sources
 * each would cost the run about half a minute of CPU.
 */
export const COMPILED_CHILDREN_ENV = "EKAFKA_E2E_COMPILED_CHILDREN";

/**
 * The output folder holding the given fixture sources (paths relative to the repository) compiled: the
 * run's shared one when it has them, else a new one (a file run on its own).
 */
export function compileFixtures(...sources: string[]): Promise<string> {
  const shared = process.env[COMPILED_CHILDREN_ENV];
  if (shared !== undefined && sources.every((source) => existsSync(join(shared, source.replace(/\.ts$/, ".js"))))) {
    return Promise.resolve(shared);
  }
  return compile("e2e-child", ...sources);
}

/** Removes a folder {@link compileFixtures} made for one file (the run's shared one stays for the others). */
export function removeCompiled(outDir: string | undefined): void {
  if (outDir !== process.env[COMPILED_CHILDREN_ENV]) removeFolder(outDir);
}

/** A child process running a compiled fixture, with its output collected. */
export interface Child {
  readonly process: ChildProcess;
  /** stdout and stderr as they came, interleaved. */
  output(): string;
  /** stderr alone. */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited and its output is read. */
  readonly exited: Promise<number | string>;
  /** Sends a signal; true when the process was still there. */
  kill(signal: NodeJS.Signals): boolean;
}

/** How {@link startChild} runs a child beyond its environment. */
export interface ChildOptions {
  /** A watchdog kills the child (SIGKILL) after this long, so a stuck child cannot outlive the test. */
  maxMs?: number;
  /** Called with each complete line the child writes on stdout, in order. */
  onLine?: (line: string, child: Child) => void;
}

/**
 * Runs `outDir/<source>.js` (source relative to the repository, ending in .ts) with `env` added to the
 * environment; `options` as a number is {@link ChildOptions.maxMs}.
 */
export function startChild(outDir: string, source: string, env: Record<string, string>, options: ChildOptions | number = {}): Child {
  if (typeof options === "number") options = { maxMs: options };
  const { maxMs = 150_000, onLine } = options;
  const script = join(outDir, source.replace(/\.ts$/, ".js"));
  const process_ = spawn(process.execPath, [script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  const errors: string[] = [];
  let partial = "";
  const child: Child = {
    process: process_,
    output: () => chunks.join(""),
    stderr: () => errors.join(""),
    exited: new Promise<number | string>((resolve, reject) => {
      const watchdog = setTimeout(() => process_.kill("SIGKILL"), maxMs);
      process_.on("error", (error) => {
        clearTimeout(watchdog);
        reject(error);
      });
      // "close": the process has exited and its stdio streams are drained.
      process_.on("close", (code, signal) => {
        clearTimeout(watchdog);
        resolve(code ?? signal ?? "unknown");
      });
    }),
    kill: (signal) => process_.exitCode === null && process_.signalCode === null && process_.kill(signal),
  };
  process_.stdout.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    chunks.push(text);
    if (onLine === undefined) return;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line, child);
  });
  process_.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    chunks.push(text);
    errors.push(text);
  });
  return child;
}

/**
 * Reads the lines a child appends to a file, incrementally: each {@link poll} returns the complete lines
 * written since the last one.
 */
export class RecordFile {
  private offset = 0;
  private partial = "";
  private readonly buffer = Buffer.alloc(1 << 20);

  constructor(readonly path: string) {}

  /** The new complete lines. */
  poll(): string[] {
    if (!existsSync(this.path)) return [];
    const fd = openSync(this.path, "r");
    try {
      const size = fstatSync(fd).size;
      let text = "";
      while (this.offset < size) {
        const read = readSync(fd, this.buffer, 0, Math.min(this.buffer.length, size - this.offset), this.offset);
        if (read <= 0) break;
        text += this.buffer.toString("utf8", 0, read);
        this.offset += read;
      }
      const lines = (this.partial + text).split("\n");
      this.partial = lines.pop() ?? "";
      return lines.filter((line) => line.length > 0);
    } finally {
      closeSync(fd);
    }
  }
}
