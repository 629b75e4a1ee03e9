import { ConfigError } from "./errors.js";

/** The environment variable Go's Ego framework reads the config path from; deploy scripts keep working. */
export const CONFIG_PATH_ENV = "EGO_CONFIG_PATH";

/**
 * The config file path given on the command line, or else in the environment.
 *
 * - `--config=PATH` or `--config PATH` (the single-dash spellings `-config=PATH` / `-config PATH` that
 *   Go's flag package accepts work too); the last one given wins; arguments after `--` are not looked at.
 * - Otherwise `EGO_CONFIG_PATH`, when set and not empty.
 *
 * @returns the path as given (not resolved), or `undefined` when neither is set
 * @throws ConfigError when `--config` is the last argument and has no value
 */
export function configPathFromArgs(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return configPathFromFlags(argv) ?? nonEmpty(env[CONFIG_PATH_ENV]);
}

function configPathFromFlags(argv: readonly string[]): string | undefined {
  let path: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? "";
    if (argument === "--") break;
    const inline = /^--?config=(.*)$/s.exec(argument);
    if (inline) {
      path = inline[1];
    } else if (argument === "--config" || argument === "-config") {
      path = argv[index + 1];
      if (path === undefined) throw new ConfigError(`${argument} needs a path, e.g. ${argument}=config/local.toml`);
      index++;
    }
  }
  return nonEmpty(path);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
