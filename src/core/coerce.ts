import { ConfigError } from "./errors.js";
import { isTable } from "./table.js";

// Weakly typed conversions, as Go's config loader performs them: a TOML file written for the Go
// component ("startOffset = \"-2\"", "debug = 1") must decode here too.

const DECIMAL_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const TRUE_WORDS = new Set(["true", "t", "1"]); // Go's strconv.ParseBool, ignoring case
const FALSE_WORDS = new Set(["false", "f", "0"]);
const LONGEST_QUOTED_VALUE = 80;

/**
 * How a value appears in an error message: its type, and the value itself for scalars
 * (`string "fast"`, `number 7`, `a table`).
 */
export function describeFound(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") return `string ${quote(value)}`;
  if (typeof value === "number" || typeof value === "bigint") return `number ${String(value)}`;
  if (typeof value === "boolean") return `boolean ${String(value)}`;
  if (value instanceof Date) return `date ${value.toISOString()}`;
  if (Array.isArray(value)) return "an array";
  if (isTable(value)) return "a table";
  return typeof value;
}

/** A string in double quotes, shortened when long so one bad value cannot flood the message. */
export function quote(text: string): string {
  const shown = text.length > LONGEST_QUOTED_VALUE ? `${text.slice(0, LONGEST_QUOTED_VALUE)}…` : text;
  return JSON.stringify(shown);
}

/** A scalar as a string: numbers and booleans are written out, dates in ISO form. */
export function toStringValue(value: unknown, keyPath: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  throw ConfigError.atKey(keyPath, `expected a string, found ${describeFound(value)}`);
}

/** A number, or a string holding a decimal number (`"-2"`, `"1.5"`); `true`/`false` are 1/0. */
export function toNumberValue(value: unknown, keyPath: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && DECIMAL_NUMBER.test(value.trim())) return Number(value.trim());
  throw ConfigError.atKey(keyPath, `expected a number, found ${describeFound(value)}`);
}

/** A boolean, a string Go's `strconv.ParseBool` accepts (`"true"`, `"0"`, `"T"`), or a number (non-zero is true). */
export function toBooleanValue(value: unknown, keyPath: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw ConfigError.atKey(keyPath, `expected a boolean (true or false), found ${describeFound(value)}`);
}

/** An array of scalars, or one string of comma-separated items (`"a, b"`); items are trimmed, empty ones dropped. */
export function toStringListValue(value: unknown, keyPath: string): string[] {
  if (Array.isArray(value)) return value.map((item, index) => toStringValue(item, `${keyPath}[${index}]`));
  if (typeof value === "string") return splitCommaList(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return [String(value)];
  throw ConfigError.atKey(keyPath, `expected a list of strings (["a", "b"] or "a,b"), found ${describeFound(value)}`);
}

/** `"a, b,,c"` → `["a", "b", "c"]`. */
export function splitCommaList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}
