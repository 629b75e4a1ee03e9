// The order in which the e2e projects start their files. Vitest starts the files it has no timings for
// largest first, and a fresh clone has none: small files that take long (a child process killed and
// restarted, npm installing the package) would start last and hold the run's end. Those start first here,
// and governor, which waits for the fault proxies while reliability-network holds them, starts last.
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Files that take longest (most of it waiting out their faults), longest first (as measured on a quiet run). */
export const SLOW_FIRST = [
  "test/e2e/reliability-network.test.ts",
  "test/e2e/consumerserver-sigterm.test.ts",
  "test/e2e/package.test.ts",
  "test/e2e/consumerserver-exactly-once-process.test.ts",
  "test/e2e/group-protocol.test.ts",
  "test/e2e/reliability-kill.test.ts",
  "test/e2e/examples.test.ts",
  "test/e2e/retry-tiers.test.ts",
  "test/e2e/schema-registry.test.ts",
  "test/e2e/consumerserver.test.ts",
  "test/interop/rolling-deploy.test.ts",
  "test/e2e/reliability-rebalance.test.ts",
];

/** Files started after every other of their project. */
export const LAST = ["test/e2e/governor.test.ts"];

/** Where a file goes among the others of its project: negative first, 0 in vitest's own order, positive last. */
export function rank(file: string): number {
  const slow = SLOW_FIRST.indexOf(file);
  if (slow >= 0) return slow - SLOW_FIRST.length;
  return LAST.includes(file) ? 1 : 0;
}

/** Vitest's order (projects in their group order, failed and longer files first), then {@link rank}'s. */
export default class E2eSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const key = (spec: TestSpecification, index: number) => ({
      spec,
      index,
      group: spec.project.config.sequence.groupOrder,
      rank: rank(relative(root, spec.moduleId)),
    });
    return sorted
      .map(key)
      .sort((a, b) => a.group - b.group || a.rank - b.rank || a.index - b.index)
      .map(({ spec }) => spec);
  }
}
