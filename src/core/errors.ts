/** Where in the configuration a {@link ConfigError} was found. All parts are optional. */
export interface ConfigErrorLocation {
  /** Dot path of the offending key, e.g. `kafka.producers.p1.compression`. */
  key?: string;
  /** The file (or `"<string>"`) the configuration came from. */
  file?: string;
  /** 1-based line in {@link file}. */
  line?: number;
  /** 1-based column in {@link file}. */
  column?: number;
  /** The underlying error, kept for debugging; its message is already folded into ours. */
  cause?: unknown;
}

/**
 * Bad configuration: a syntax error, a value of the wrong type, a missing environment variable.
 *
 * The message is meant to be shown to the person who edits the file as it is, so it always says
 * where (key path or file:line:column), what was expected and what was found.
 */
export class ConfigError extends Error {
  /** Always "ConfigError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "ConfigError";
  /** Dot path of the offending key, when the error is about one key. */
  readonly key?: string;
  /** The file (or `"<string>"`) the error is in, when known. */
  readonly file?: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;

  constructor(message: string, location: ConfigErrorLocation = {}) {
    super(message, location.cause === undefined ? undefined : { cause: location.cause });
    if (location.key !== undefined) this.key = location.key;
    if (location.file !== undefined) this.file = location.file;
    if (location.line !== undefined) this.line = location.line;
    if (location.column !== undefined) this.column = location.column;
  }

  /** An error about one key; the message reads `<keyPath>: <problem>`. */
  static atKey(keyPath: string, problem: string): ConfigError {
    return new ConfigError(keyPath === "" ? problem : `${keyPath}: ${problem}`, { key: keyPath });
  }
}
