// A vitest reporter (make test-e2e adds it to the default one) that ends the run with every test file's
// time, longest first, by project: where the minutes of an e2e run go.
import type { Reporter, TestModule } from "vitest/node";

export default class DurationsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
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
    if (rows.length === 0) return;
    const width = Math.max(...rows.map((r) => r.file.length));
    const lines = rows.map((r) => `  ${r.project.padEnd(10)} ${r.file.padEnd(width)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.state}`);
    const total = rows.reduce((sum, r) => sum + r.seconds, 0);
    process.stdout.write(`\nTime per test file (import + tests and hooks):\n${lines.join("\n")}\n  sum of files ${total.toFixed(0)} s\n`);
  }
}
