import { readFileSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import { configPathFromArgs } from "./config-path.js";
import { expandEnvDeep } from "./env.js";
import { ConfigError } from "./errors.js";
import { decode, type Decoded, type Schema, type Warn } from "./schema.js";
import { findKeyIgnoringCase, isTable, joinKeyPath, setOwn, splitKeyPath, type Table } from "./table.js";

const STRING_SOURCE = "<string>";

/**
 * A configuration tree read from TOML. Several files or strings can be loaded; each one is merged over
 * what was loaded before (tables deeply, other values replaced), so a local override file only needs
 * the keys it changes. Keys match ignoring case, as in the Go framework.
 *
 * Use the global {@link config} in applications; create a `Config` of your own for tests or for
 * several independent trees.
 */
export class Config {
  #tree: Table = {};
  readonly #sources: string[] = [];

  /** The files (or `"<string>"` / the given names) loaded so far, in order. */
  get sources(): readonly string[] {
    return [...this.#sources];
  }

  /**
   * Reads a TOML file and merges it over the current tree.
   * @throws ConfigError when the file cannot be read, with `file:line:column` when it is not valid TOML
   */
  loadFile(path: string): this {
    return this.loadString(readConfigFile(path), path);
  }

  /**
   * Parses TOML text and merges it over the current tree.
   * @param source how to name the text in error messages; defaults to `"<string>"`
   * @throws ConfigError with `source:line:column` when the text is not valid TOML
   */
  loadString(text: string, source: string = STRING_SOURCE): this {
    const document = foldKeyCase(parseToml(text, source), "", source);
    mergeInto(this.#tree, document);
    this.#sources.push(source);
    return this;
  }

  /**
   * Loads the file named on the command line (`--config=PATH`) or in `EGO_CONFIG_PATH`; see
   * {@link configPathFromArgs}. Does nothing when neither is given.
   * @returns the path loaded, or `undefined`
   */
  loadDefault(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string | undefined {
    const path = configPathFromArgs(argv, env);
    if (path !== undefined) this.loadFile(path);
    return path;
  }

  /**
   * The raw value or subtree at a dot path (`"kafka.producers.p1"`), segments matched ignoring case;
   * `""` is the whole tree. Returns a copy, `undefined` when absent. `${ENV}` references are not
   * expanded here; {@link unmarshalKey} does that.
   */
  get(key: string): unknown {
    return cloneValue(this.#lookup(key));
  }

  /** Whether a value or table exists at the dot path. */
  has(key: string): boolean {
    return this.#lookup(key) !== undefined;
  }

  /** The raw subtree at `key` with `${ENV}` references expanded. */
  unmarshalKey(key: string): unknown;
  /**
   * The subtree at `key` decoded with `schema` (defaults applied, values converted); error messages
   * name keys starting from `key`, e.g. `kafka.producers.p1.compression`.
   * @throws ConfigError for a wrong type or a missing environment variable
   */
  unmarshalKey<const S extends Schema>(key: string, schema: S, warn?: Warn): Decoded<S>;
  unmarshalKey(key: string, schema?: Schema, warn?: Warn): unknown {
    const raw = this.#lookup(key);
    return schema === undefined ? expandEnvDeep(raw, key) : decode(raw, schema, key, warn);
  }

  /** Forgets everything loaded; mostly for tests that reuse the global {@link config}. */
  reset(): this {
    this.#tree = {};
    this.#sources.length = 0;
    return this;
  }

  #lookup(key: string): unknown {
    let node: unknown = this.#tree;
    for (const segment of splitKeyPath(key)) {
      if (!isTable(node)) return undefined;
      const actual = findKeyIgnoringCase(node, segment);
      node = actual === undefined ? undefined : node[actual];
    }
    return node;
  }
}

/** The application's configuration; load it once at start-up (`config.loadFile(...)`). */
export const config = new Config();

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConfigError(`${path}: cannot read the config file: ${reason}`, { file: path });
  }
}

// Only the position and the reason: smol-toml's message also quotes the surrounding lines, which may
// hold a password.
function parseToml(text: string, source: string): Table {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = (error.message.split("\n")[0] ?? "").replace(/^Invalid TOML document:\s*/, "");
    throw new ConfigError(`${source}:${error.line}:${error.column}: invalid TOML: ${reason}`, {
      file: source,
      line: error.line,
      column: error.column,
    });
  }
}

/**
 * Folds keys that differ only in case into one, as the Go loader sees them: `[Kafka]` and
 * `[kafka.producers.p1]` are one table. Two such keys holding values (not tables) are an error, because
 * the Go loader keeps one of them at random; the author has to choose.
 */
function foldKeyCase(table: Table, keyPath: string, source: string): Table {
  const folded: Table = {};
  for (const [key, value] of Object.entries(table)) {
    const entry: Table = {};
    setOwn(entry, key, isTable(value) ? foldKeyCase(value, joinKeyPath(keyPath, key), source) : value);
    mergeInto(folded, entry, keyPath, (existingKey, conflictingKey, conflictPath) => {
      const where = conflictPath === "" ? "" : `${conflictPath}: `;
      throw new ConfigError(
        `${source}: ${where}${existingKey} and ${conflictingKey} are the same key (keys ignore case); keep one of them`,
        {
          file: source,
          key: joinKeyPath(conflictPath, conflictingKey),
        },
      );
    });
  }
  return folded;
}

/** Called when `mergeInto` would replace a value whose key is spelled differently. */
type OnConflict = (existingKey: string, key: string, keyPath: string) => never;

/**
 * Deep merge of `source` into `target`: tables merge, anything else replaces (the new spelling wins),
 * unless `onConflict` is given, which is then called instead of replacing.
 */
function mergeInto(target: Table, source: Table, keyPath = "", onConflict?: OnConflict): void {
  for (const [key, value] of Object.entries(source)) {
    const existingKey = findKeyIgnoringCase(target, key);
    const existing = existingKey === undefined ? undefined : target[existingKey];
    if (isTable(existing) && isTable(value)) {
      mergeInto(existing, value, joinKeyPath(keyPath, key), onConflict);
      continue;
    }
    if (existingKey !== undefined) {
      onConflict?.(existingKey, key, keyPath);
      delete target[existingKey];
    }
    setOwn(target, key, cloneValue(value));
  }
}

function cloneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (!isTable(value)) return value;
  const copy: Table = {};
  for (const [key, item] of Object.entries(value)) setOwn(copy, key, cloneValue(item));
  return copy;
}
