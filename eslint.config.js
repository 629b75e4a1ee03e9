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
      // Promises wrapping the native client reject with what it hands over (LibrdKafkaError objects,
      // typed apart from Error) or with an AbortSignal's reason; both are errors at run time.
      "@typescript-eslint/prefer-promise-reject-errors": "off",
      // The native client types several callback results `any`; the typed wrapper returning them is
      // where their type is given.
      "@typescript-eslint/no-unsafe-return": "off",
      // A leading underscore marks a binding kept on purpose (a loop that only counts, a callback's shape).
      "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", argsIgnorePattern: "^_" }],
      // Delivery objects hand handlers a context whose getters read the delivery: the alias is named for it.
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["delivery"] }],
      // Arrays print as "1,2,3" in messages of tests and errors, which is what they mean there.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowArray: true, allowNumber: true }],
    },
  },
  {
    // Tests throw non-Error values on purpose to prove the library's handling of them.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/only-throw-error": "off" },
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
