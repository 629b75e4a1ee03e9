// Builds and runs the Go program of test/interop/go (kafka-go, the library Go's Ego ekafka wraps), which
// plays the Go service in the interop tests. It reports one JSON object per stdout line.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { bootstrap, repoRoot } from "../../e2e/support/env.js";

const run = promisify(execFile);
const goModuleDir = `${repoRoot}test/interop/go`;

/** One line the Go program reported. */
export type Report = Record<string, unknown> & { event: string };

/** The `go` command: on the PATH, or where the official tarball installs it. */
export function goCommand(): string {
  const onPath = (process.env.PATH ?? "")
    .split(delimiter)
    .map((dir) => join(dir, "go"))
    .find((path) => existsSync(path));
  if (onPath !== undefined) return onPath;
  if (existsSync("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
  throw new Error("the interop tests need Go: install it (https://go.dev/dl/) or put `go` on the PATH, then run `make setup`");
}

/**
 * Compiles the Go program into the git-ignored .kafka/ folder and returns the binary's path (go's
 * build cache makes a rebuild of an unchanged program take a moment). The modules come
 * from the module cache `make setup` filled (`go mod download`), so the build needs no network.
 */
export async function buildKgo(): Promise<string> {
  mkdirSync(`${repoRoot}.kafka`, { recursive: true });
  const binary = `${repoRoot}.kafka/kgo`;
  // Interop files run side by side and each builds: each writes its own file and renames it into place,
  // so no build overwrites the binary another file is running.
  const own = `${binary}.${process.pid}`;
  try {
    await run(goCommand(), ["build", "-buildvcs=false", "-o", own, "."], { cwd: goModuleDir });
    renameSync(own, binary);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`building the kafka-go program in ${goModuleDir} failed (has \`make setup\` downloaded its modules?): ${stderr}`);
  }
  return binary;
}

function parseReports(stdout: string): Report[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Report);
}

/** Runs one subcommand to its end (stdin optional) and returns its reports; rejects with its stderr on failure. */
export async function runKgo(binary: string, args: string[], stdin = ""): Promise<Report[]> {
  const child = spawn(binary, [args[0]!, "-brokers", bootstrap, ...args.slice(1)], { stdio: ["pipe", "pipe", "pipe"] });
  const out = collect(child);
  child.stdin.end(stdin);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`kgo ${args.join(" ")} exited with ${code}: ${out.stderr().slice(-4000)}`);
  return parseReports(out.stdout());
}

/** A long-running `kgo member`: its reports so far, and stop() to make it leave the group. */
export interface RunningKgo {
  reports(): Report[];
  stderr(): string;
  /** Closes its stdin: it leaves the group and exits. Resolves with its reports. */
  stop(): Promise<Report[]>;
}

/** Starts a subcommand that runs until stopped (`member`). */
export function startKgo(binary: string, args: string[]): RunningKgo {
  const child = spawn(binary, [args[0]!, "-brokers", bootstrap, ...args.slice(1)], { stdio: ["pipe", "pipe", "pipe"] });
  const out = collect(child);
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  return {
    reports: () => parseReports(completeLines(out.stdout())),
    stderr: out.stderr,
    stop: async () => {
      child.stdin.end();
      const code = await closed;
      if (code !== 0) throw new Error(`kgo ${args.join(" ")} exited with ${code}: ${out.stderr().slice(-4000)}`);
      return parseReports(out.stdout());
    },
  };
}

function completeLines(text: string): string {
  const end = text.lastIndexOf("\n");
  return end < 0 ? "" : text.slice(0, end);
}

function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return { stdout: () => stdout, stderr: () => stderr };
}
