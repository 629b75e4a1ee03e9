// Lint rules: typescript-eslint's type-checked recommended set over all TypeScript in the repository.
// Formatting is Prettier's job (`make format`); no rule here is about layout.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "docs/api/", "node_modules/", ".kafka/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // async functions that implement a Promise-returning shape (handlers, Server methods, test
      // doubles) need no await; an unawaited promise, the real danger, is no-floating-promises' job.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // vitest's asymmetric matchers (expect.any, expect.objectContaining) are typed `any`.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  {
    // Plain JavaScript (kafka/wait-ready.mjs, this file) is not part of a TypeScript project.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly" },
    },
  },
);
