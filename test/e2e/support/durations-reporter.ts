// A vitest reporter (make test-e2e adds it to the default one) that ends the run with every test file's
// time, longest first, by project: where the minutes of an e2e run go. When something failed, the very
// last lines name each failed test, file or unhandled error with the first line of its message: a log
// that keeps only its tail (a CI excerpt) still says what failed.
import { writeFileSync } from "node:fs";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

/** The first line of an error's message, for a one-line summary. */
function firstLine(error: { message?: string; name?: string } | undefined): string {
  const text = error?.message ?? error?.name ?? "unknown error";
  return (text.split("\n").find((line) => line.trim() !== "") ?? text).trim().slice(0, 300);
}

/** One line per failure in a module: its failed tests, or the module's own errors (import, hooks). */
function failuresOf(module: TestModule): string[] {
  const file = module.relativeModuleId;
  const lines: string[] = [];
  for (const test of module.children.allTests("failed")) {
    const result = test.result();
    const errors = result.state === "failed" ? result.errors : [];
    lines.push(`  FAILED ${file} > ${test.fullName}: ${firstLine(errors[0])}`);
  }
  for (const error of module.errors()) lines.push(`  FAILED ${file} (outside its tests): ${firstLine(error)}`);
  if (lines.length === 0 && module.state() === "failed") lines.push(`  FAILED ${file}`);
  if (unfinished(module)) lines.push(`  FAILED ${file}: did not finish (its test process exited)`);
  return lines;
}

/** Whether an unhandled error is vitest's report of a test process that died (a native crash, say). */
function isWorkerExit(error: SerializedError): boolean {
  const cause = (error as { cause?: { message?: string } }).cause;
  return /Worker exited unexpectedly/.test(`${error.message} ${cause?.message ?? ""}`);
}

/** A file whose test process died before it finished. */
const unfinished = (module: TestModule) => module.state() === "pending" || module.state() === "queued";

/**
 * The vitest arguments (projects, then files) that run again the files a dead test process left
 * unfinished — only when that is the run's one failure: no failed test, no other error. Empty otherwise.
 */
function rerunArguments(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): string {
  const left = modules.filter(unfinished);
  const otherwiseClean =
    unhandledErrors.some(isWorkerExit) &&
    unhandledErrors.every(isWorkerExit) &&
    modules.every((m) => m.errors().length === 0 && [...m.children.allTests("failed")].length === 0);
  if (!otherwiseClean || left.length === 0) return "";
  const projects = [...new Set(left.map((m) => `--project ${m.project.name}`))];
  return [...projects, ...left.map((m) => m.relativeModuleId)].join(" ");
}

export default class DurationsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const rows = modules
      .map((module) => {
        const d = module.diagnostic();
        return {
          project: module.project.name,
          file: module.relativeModuleId,
          // Importing the file and its dependencies, then its tests and hooks.
          seconds: (d.collectDuration + d.duration) / 1000,
          state: module.state(),
        };
      })
      .sort((a, b) => a.project.localeCompare(b.project) || b.seconds - a.seconds);
    if (rows.length > 0) {
      const width = Math.max(...rows.map((r) => r.file.length));
      const lines = rows.map((r) => `  ${r.project.padEnd(10)} ${r.file.padEnd(width)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.state}`);
      const total = rows.reduce((sum, r) => sum + r.seconds, 0);
      process.stdout.write(`\nTime per test file (import + tests and hooks):\n${lines.join("\n")}\n  sum of files ${total.toFixed(0)} s\n`);
    }
    const failures = [...modules.flatMap(failuresOf), ...unhandledErrors.map((error) => `  FAILED unhandled error: ${firstLine(error)}`)];
    if (failures.length > 0) process.stdout.write(`\nFailed:\n${failures.join("\n")}\n`);
    // test/all.sh reads it (see there).
    const rerunPath = process.env.EKAFKA_E2E_RERUN;
    if (rerunPath) writeFileSync(rerunPath, rerunArguments(modules, unhandledErrors));
  }
}
