import { ConfigError } from "./errors.js";
import { isTable, joinKeyPath, setOwn } from "./table.js";

/**
 * `${NAME}`, `${NAME:-fallback}`, or the escape `$${`. Anything else that merely looks like a reference
 * (`${}`, `${not a name}`) is left alone, so existing values containing `${` keep working.
 */
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Environment variables, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Replaces environment references in one config string, so secrets can stay out of the file.
 *
 * - `${NAME}` is the value of `NAME`; when `NAME` is not set this throws (an empty value is used as is).
 * - `${NAME:-fallback}` is `fallback` when `NAME` is unset or empty, as in a shell.
 * - `$${` is a literal `${` (write `$${NAME}` to keep the text `${NAME}`).
 *
 * @param keyPath the key the string belongs to, named in the error
 * @throws ConfigError naming the variable and `keyPath` when a variable without fallback is not set
 */
export function expandEnv(text: string, keyPath: string, env: Environment = process.env): string {
  if (!text.includes("${")) return text;
  return text.replace(REFERENCE, (reference: string, name?: string, fallback?: string) => {
    if (name === undefined) return "${"; // the `$${` escape
    const value = env[name];
    if (fallback !== undefined) return value === undefined || value === "" ? fallback : value;
    if (value === undefined) {
      throw ConfigError.atKey(
        keyPath,
        `environment variable ${name} is not set (the value refers to it as ${reference}; write ` +
          `\${${name}:-default} to give a fallback)`,
      );
    }
    return value;
  });
}

/**
 * {@link expandEnv} applied to every string inside a raw config value (arrays and tables included);
 * keys are not expanded. Returns a copy; the input is not changed.
 */
export function expandEnvDeep(value: unknown, keyPath: string, env: Environment = process.env): unknown {
  if (typeof value === "string") return expandEnv(value, keyPath, env);
  if (Array.isArray(value)) return value.map((item, index) => expandEnvDeep(item, `${keyPath}[${index}]`, env));
  if (isTable(value)) {
    const copy: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) setOwn(copy, name, expandEnvDeep(item, joinKeyPath(keyPath, name), env));
    return copy;
  }
  return value;
}
