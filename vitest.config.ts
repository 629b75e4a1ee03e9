import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The package imports itself by name ("ekafka", "ekafka/core", "ekafka/consumerserver"); tests run the
// TypeScript sources directly, so the names point at them rather than at the build output.
const alias = [
  { find: /^ekafka\/core$/, replacement: here("./src/core/index.ts") },
  { find: /^ekafka\/consumerserver$/, replacement: here("./consumerserver/index.ts") },
  { find: /^ekafka$/, replacement: here("./src/index.ts") },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/interop/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/global-setup.ts"],
          // One cluster, two cores: test files run one after the other, each in its own process.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
