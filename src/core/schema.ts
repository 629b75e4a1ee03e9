import { describeFound, quote, toBooleanValue, toNumberValue, toStringListValue, toStringValue } from "./coerce.js";
import { parseDuration } from "./duration.js";
import { expandEnv } from "./env.js";
import { ConfigError } from "./errors.js";
import { logger } from "./logger.js";
import { closestName } from "./suggestion.js";
import { findKeyIgnoringCase, isTable, joinKeyPath, setOwn, type Table } from "./table.js";

/**
 * How one config key is read. `doc` is for humans (and generated references); `default` is used when
 * the key is absent. String values may contain `${ENV}` references (see {@link expandEnv}); they are
 * expanded before the value is converted, so `port = "${PORT}"` works for a number field.
 */
export type FieldSpec =
  /** Any scalar, written out as a string. */
  | {
      /** Selects this kind: any scalar, read as a string. */
      type: "string";
      /** The value when the key is absent; without one, the decoded field may be `undefined`. */
      default?: string;
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /** A number, or a string holding one (`"-2"`). `oneOf` lists the only values allowed. */
  | {
      /** Selects this kind: a number, or a string holding one. */
      type: "number";
      /** The value when the key is absent; without one, the decoded field may be `undefined`. */
      default?: number;
      /** The value is a whole number: a fraction is truncated toward zero with a warning, as Go's loader does. */
      integer?: boolean;
      /** The smallest value accepted (inclusive); a smaller one is a ConfigError. */
      min?: number;
      /** The largest value accepted (inclusive); a larger one is a ConfigError. */
      max?: number;
      /** The only values accepted; any other is a ConfigError listing them. */
      oneOf?: readonly number[];
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /** `true`/`false`, or what Go's `strconv.ParseBool` accepts (`"1"`, `"0"`, `"true"`). */
  | {
      /** Selects this kind: a boolean, or what Go's `strconv.ParseBool` accepts. */
      type: "boolean";
      /** The value when the key is absent; without one, the decoded field may be `undefined`. */
      default?: boolean;
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /** A Go duration (`"300ms"`), decoded to milliseconds; see {@link parseDuration}. The default is in ms. */
  | {
      /** Selects this kind: a Go duration string, decoded to milliseconds. */
      type: "duration";
      /** The value in milliseconds when the key is absent; without one, the decoded field may be `undefined`. */
      default?: number;
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /** `["a", "b"]` or `"a,b"` (split on commas, trimmed). */
  | {
      /** Selects this kind: a list of strings, or one comma-separated string. */
      type: "stringList";
      /** The list when the key is absent; without one, the decoded field may be `undefined`. */
      default?: readonly string[];
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /** One of `values`, matched ignoring case; decodes to the spelling in `values`. */
  | {
      /** Selects this kind: one of `values`, matched ignoring case. */
      type: "enum";
      /** The allowed values, in the spelling the decoded field takes. */
      values: readonly string[];
      /** The value when the key is absent; without one, the decoded field may be `undefined`. */
      default?: string;
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /**
   * A free-form table of name → string | number | boolean, decoded to `Record<string, string>` with
   * names exactly as written. Nested tables are flattened with dots, so the TOML dotted key
   * `fetch.wait.max.ms = 100` gives `{"fetch.wait.max.ms": "100"}`; arrays are joined with commas.
   * Defaults to `{}`.
   */
  | {
      /** Selects this kind: a free-form table of name → scalar, flattened with dots. */
      type: "properties";
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /** A nested table; when absent, every field takes its default. */
  | {
      /** Selects this kind: a nested table read with `fields`. */
      type: "object";
      /** How the nested table's keys are read. */
      fields: Schema;
      /** What the key means, for people and generated references. */
      doc?: string;
    }
  /** A table of user-chosen names (kept as written) → a table read with `of`. Defaults to `{}`. */
  | {
      /** Selects this kind: a table of user-chosen names, each read with `of`. */
      type: "map";
      /** How each named table is read. */
      of: Schema;
      /** What the key means, for people and generated references. */
      doc?: string;
    };

/** Field names (camelCase, as in Go ekafka) → how each is read. Input keys match them ignoring case. */
export type Schema = Readonly<Record<string, FieldSpec>>;

/** Receives the warnings {@link decode} emits for unknown keys. */
export type Warn = (message: string) => void;

/**
 * What one field decodes to: `string`, `number` (a `duration` in milliseconds), `boolean`, `string[]`,
 * the `enum`'s values, `Record<string, string>` for `properties`, and the nested {@link Decoded} of an
 * `object` or `map`. Whether it may be `undefined` is {@link FieldAlwaysPresent}'s call.
 */
export type FieldValue<F extends FieldSpec> =
  F extends Record<"type", "string">
    ? string
    : F extends Record<"type", "number" | "duration">
      ? number
      : F extends Record<"type", "boolean">
        ? boolean
        : F extends Record<"type", "stringList">
          ? string[]
          : F extends Record<"type", "enum"> & Record<"values", readonly (infer V extends string)[]>
            ? V
            : F extends Record<"type", "properties">
              ? Record<string, string>
              : F extends Record<"type", "object"> & Record<"fields", infer S extends Schema>
                ? Decoded<S>
                : F extends Record<"type", "map"> & Record<"of", infer S extends Schema>
                  ? Record<string, Decoded<S>>
                  : never;

/** `true` when a field has a value after decoding even if the key is absent: it has a `default`, or is a table. */
export type FieldAlwaysPresent<F extends FieldSpec> =
  F extends Record<"type", "properties" | "object" | "map"> ? true : F extends Record<"default", NonNullable<unknown>> ? true : false;

/**
 * The typed result of {@link decode}: `duration` is milliseconds, `enum` is the canonical spelling,
 * and a scalar field without a `default` may be `undefined`.
 */
export type Decoded<S extends Schema> = {
  -readonly [K in keyof S]: FieldAlwaysPresent<S[K]> extends true ? FieldValue<S[K]> : FieldValue<S[K]> | undefined;
};

/**
 * Declares a schema and keeps its literal types, so `Decoded<typeof schema>` is precise
 * (same as writing `{ … } as const satisfies Schema`).
 */
export function defineSchema<const S extends Schema>(schema: S): S {
  return schema;
}

/**
 * Turns a raw config subtree into typed config with defaults, reading values as weakly as Go's loader
 * does (`"-2"` for a number, `"1"` for a boolean).
 *
 * Unknown keys are never an error: each is reported through `warn` with the closest known key as a
 * suggestion, because an old file must keep loading. By default the warning goes to the core logger.
 *
 * @param raw the subtree, e.g. `config.get("kafka")`; `undefined` decodes to all defaults
 * @param keyPath where `raw` sits, e.g. `"kafka"`, used in every message
 * @throws ConfigError naming the full key path, what was expected and what was found
 */
export function decode<const S extends Schema>(raw: unknown, schema: S, keyPath: string, warn: Warn = warnThroughLogger): Decoded<S> {
  const table = tableAt(raw, keyPath);
  const inputKeys = matchInputKeys(table, schema, keyPath, warn);
  const decoded: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(schema)) {
    const inputKey = inputKeys.get(field);
    const fieldPath = joinKeyPath(keyPath, inputKey ?? field);
    decoded[field] = inputKey === undefined ? defaultOf(spec, fieldPath, warn) : decodeField(table[inputKey], spec, fieldPath, warn);
  }
  return decoded as Decoded<S>;
}

function warnThroughLogger(message: string): void {
  logger.warn(message);
}

function tableAt(raw: unknown, keyPath: string): Table {
  if (raw === undefined || raw === null) return {};
  if (isTable(raw)) return raw;
  throw ConfigError.atKey(keyPath, `expected a table, found ${describeFound(raw)}`);
}

/** Schema field → the input key that supplies it; warns about input keys no field claims. */
function matchInputKeys(table: Table, schema: Schema, keyPath: string, warn: Warn): Map<string, string> {
  const byField = new Map<string, string>();
  const claimed = new Set<string>();
  for (const field of Object.keys(schema)) {
    const spellings = Object.keys(table).filter((key) => key.toLowerCase() === field.toLowerCase());
    if (spellings.length > 1) {
      throw ConfigError.atKey(keyPath, `${spellings.join(" and ")} are the same key (keys ignore case); keep one of them`);
    }
    const inputKey = findKeyIgnoringCase(table, field);
    if (inputKey === undefined) continue;
    byField.set(field, inputKey);
    claimed.add(inputKey);
  }
  for (const key of Object.keys(table)) {
    if (!claimed.has(key)) warn(unknownKeyMessage(joinKeyPath(keyPath, key), key, Object.keys(schema)));
  }
  return byField;
}

function unknownKeyMessage(keyPath: string, key: string, knownKeys: string[]): string {
  const suggestion = closestName(key, knownKeys);
  return suggestion === undefined ? `${keyPath}: unknown key` : `${keyPath}: unknown key; did you mean ${suggestion}?`;
}

function defaultOf(spec: FieldSpec, keyPath: string, warn: Warn): unknown {
  switch (spec.type) {
    case "properties":
    case "map":
      return {};
    case "object":
      return decode(undefined, spec.fields, keyPath, warn);
    case "stringList":
      return spec.default === undefined ? undefined : [...spec.default];
    default:
      return spec.default;
  }
}

function decodeField(raw: unknown, spec: FieldSpec, keyPath: string, warn: Warn): unknown {
  const value = typeof raw === "string" ? expandEnv(raw, keyPath) : raw;
  switch (spec.type) {
    case "string":
      return toStringValue(value, keyPath);
    case "number":
      return checkNumber(toNumberValue(value, keyPath), spec, keyPath, warn);
    case "boolean":
      return toBooleanValue(value, keyPath);
    case "duration":
      return decodeDuration(value, keyPath);
    case "stringList":
      return expandEachString(toStringListValue(value, keyPath), keyPath);
    case "enum":
      return decodeEnum(value, spec.values, keyPath);
    case "properties":
      return decodeProperties(value, keyPath);
    case "object":
      return decode(value, spec.fields, keyPath, warn);
    case "map":
      return decodeMap(value, spec.of, keyPath, warn);
  }
}

type NumberSpec = Extract<FieldSpec, { type: "number" }>;

function checkNumber(raw: number, spec: NumberSpec, keyPath: string, warn: Warn): number {
  if (Number.isNaN(raw)) throw ConfigError.atKey(keyPath, "expected a number, found nan");
  if (!Number.isFinite(raw)) throw ConfigError.atKey(keyPath, `expected a number, found ${raw}`);
  const value = spec.integer === true ? wholeNumber(raw, keyPath, warn) : raw;
  if (spec.min !== undefined && value < spec.min)
    throw ConfigError.atKey(keyPath, `expected a number of at least ${spec.min}, found ${value}`);
  if (spec.max !== undefined && value > spec.max)
    throw ConfigError.atKey(keyPath, `expected a number of at most ${spec.max}, found ${value}`);
  if (spec.oneOf !== undefined && !spec.oneOf.includes(value)) {
    throw ConfigError.atKey(keyPath, `expected one of ${spec.oneOf.join(", ")}, found ${value}`);
  }
  return value;
}

// Go's loader (mapstructure) truncates a fraction given for an integer field instead of refusing it.
function wholeNumber(value: number, keyPath: string, warn: Warn): number {
  if (Number.isInteger(value)) return value;
  const whole = Math.trunc(value) + 0; // + 0 turns -0 into 0
  warn(`${keyPath}: ${value} is not a whole number; read as ${whole}, as Go's config loader truncates it`);
  return whole;
}

function decodeDuration(value: unknown, keyPath: string): number {
  if (typeof value === "string" || typeof value === "number") return parseDuration(value, keyPath);
  throw ConfigError.atKey(keyPath, `expected a duration such as "300ms" or "1m30s", found ${describeFound(value)}`);
}

// Array items were not expanded with the field itself, only strings at the top level were.
function expandEachString(items: string[], keyPath: string): string[] {
  return items.map((item, index) => expandEnv(item, `${keyPath}[${index}]`));
}

function decodeEnum(value: unknown, values: readonly string[], keyPath: string): string {
  const found = typeof value === "string" || typeof value === "number" ? String(value) : undefined;
  const canonical = found === undefined ? undefined : values.find((allowed) => allowed.toLowerCase() === found.trim().toLowerCase());
  if (canonical !== undefined) return canonical;
  const shown = found === undefined ? describeFound(value) : quote(found);
  throw ConfigError.atKey(keyPath, `expected one of ${values.join(", ")}, found ${shown}`);
}

function decodeProperties(value: unknown, keyPath: string): Record<string, string> {
  const properties: Record<string, string> = {};
  flattenProperties(tableAt(value, keyPath), "", keyPath, properties);
  return properties;
}

// TOML turns the unquoted key `fetch.wait.max.ms` into nested tables; librdkafka wants it back flat.
function flattenProperties(table: Table, prefix: string, keyPath: string, into: Record<string, string>): void {
  for (const [name, raw] of Object.entries(table)) {
    const property = prefix === "" ? name : `${prefix}.${name}`;
    const propertyPath = joinKeyPath(keyPath, name);
    if (isTable(raw)) {
      flattenProperties(raw, property, propertyPath, into);
    } else if (Array.isArray(raw)) {
      setOwn(into, property, expandEachString(toStringListValue(raw, propertyPath), propertyPath).join(","));
    } else if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") {
      setOwn(into, property, typeof raw === "string" ? expandEnv(raw, propertyPath) : String(raw));
    } else {
      throw ConfigError.atKey(propertyPath, `expected a string, number or boolean, found ${describeFound(raw)}`);
    }
  }
}

function decodeMap(value: unknown, of: Schema, keyPath: string, warn: Warn): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(tableAt(value, keyPath))) {
    setOwn(entries, name, decode(entry, of, joinKeyPath(keyPath, name), warn));
  }
  return entries;
}
