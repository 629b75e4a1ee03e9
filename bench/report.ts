import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where the latest results are kept, at the repository root (the bench runs from dist/bench/). */
const BENCHMARKS_MD = fileURLToPath(new URL("../../BENCHMARKS.md", import.meta.url));
/** A hand-written analysis (profiles, what would close a gap), appended as it is. */
const ANALYSIS_MD = fileURLToPath(new URL("../../bench/analysis.md", import.meta.url));

/** Everything BENCHMARKS.md shows. */
export interface Report {
  machine: string;
  date: Date;
  durationSeconds: number;
  settings: string[];
  table: string;
  targets: string[];
  notes: string[];
}

/** Writes BENCHMARKS.md with the latest table and the command that made it; returns the path. */
export function writeReport(report: Report): string {
  const text = `# Benchmarks

Made by \`make bench\` (\`node dist/bench/main.js\` after \`make build\`, against the local 3-broker cluster of
\`make kafka-up\`) on ${report.date.toISOString().slice(0, 10)}; the whole run took ${Math.round(report.durationSeconds / 60)} min.
Every run overwrites this file.

**Machine:** ${report.machine}. The three brokers run on the same machine, so every contender shares the
two cores with them: compare the columns of one run, not numbers across machines.

## Settings

${report.settings.map((line) => `- ${line}`).join("\n")}

## Results

${report.table}

## Targets

${report.targets.join("\n")}

## Notes

${report.notes.map((line) => `- ${line}`).join("\n")}
${existsSync(ANALYSIS_MD) ? `\n${readFileSync(ANALYSIS_MD, "utf8").trim()}\n` : ""}`;
  writeFileSync(BENCHMARKS_MD, text);
  return BENCHMARKS_MD;
}
