import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import E2eSequencer from "./test/e2e/support/sequencer.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** A time limit in ms from the environment variable `name`, or `fallback` when it is unset. */
function timeLimitMs(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${name}: expected a whole number of milliseconds above 0, got "${text}"`);
  return ms;
}

// The package imports itself by name ("ekafka", "ekafka/core", "ekafka/consumerserver"); tests run the
// TypeScript sources directly, so the names point at them rather than at the build output.
const alias = [
  { find: /^ekafka\/core$/, replacement: here("./src/core/index.ts") },
  { find: /^ekafka\/consumerserver$/, replacement: here("./consumerserver/index.ts") },
  { find: /^ekafka$/, replacement: here("./src/index.ts") },
];

/** Every e2e and interop test file. */
const e2eFiles = ["test/e2e/**/*.test.ts", "test/interop/**/*.test.ts"];

/**
 * Files that stop one or all brokers or the schema registry: the e2e-faults project runs them one
 * at a time, after the e2e project. (The files using the fault proxies, governor and reliability-network,
 * run in the e2e project: the proxies' fixed ports are held by one file at a time, see
 * test/e2e/support/fault-proxy.ts, and their faults touch only the clients going through them.)
 */
const serialFiles = [
  "test/e2e/consumerserver-exactly-once-coordinator.test.ts", // stops a broker
  "test/e2e/producer-metadata.test.ts", // stops all three brokers
  "test/e2e/reliability-broker.test.ts", // stops a broker
  "test/e2e/retry-tiers-faults.test.ts", // stops a broker
  "test/e2e/schema-registry-restart.test.ts", // stops the schema registry
];

/** What both e2e projects share. */
const e2e = {
  environment: "node",
  globalSetup: ["test/e2e/global-setup.ts"],
  testTimeout: 120_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  resolve: { alias },
  test: {
    // The slowest e2e files start first, the ones that would wait for the fault proxies last.
    sequence: { sequencer: E2eSequencer },
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          // vitest's --testTimeout and --hookTimeout on the command line do not reach a project's tests:
          // make test, which runs these at nice 19 beside the e2e tests, sets longer ones here (test/all.sh).
          testTimeout: timeLimitMs("EKAFKA_UNIT_TEST_TIMEOUT_MS", 5_000),
          hookTimeout: timeLimitMs("EKAFKA_UNIT_HOOK_TIMEOUT_MS", 10_000),
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: e2eFiles,
          exclude: serialFiles,
          ...e2e,
          // Each file names its own topics and groups, so files share the cluster: two or three at a time
          // (two cores, three brokers). Runs before e2e-faults (groupOrder).
          maxWorkers: Number(process.env.EKAFKA_E2E_WORKERS ?? 3),
          sequence: { groupOrder: 1 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e-faults",
          include: serialFiles,
          ...e2e,
          // Stopping brokers or the registry would disturb every other file: these run one at a time,
          // after the e2e project.
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
