import type { Registry } from "prom-client";
import { config as globalConfig, type Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Server } from "../server.js";
import { decodeGovernorConfig, type GovernorConfig } from "./config.js";
import { defaultGovernorOptions, Governor, type GovernorOptions } from "./server.js";

/** Changes how a governor is built. */
export type GovernorOption = (options: GovernorOptions) => void;

/** Serves this registry at `/metrics` instead of prom-client's default one (where ekafka's metrics go). */
export function withRegistry(registry: Registry): GovernorOption {
  return (options) => {
    options.registry = registry;
  };
}

/** Watches these servers too (the App's servers are watched without this). */
export function withServers(...servers: Server[]): GovernorOption {
  return (options) => {
    options.servers.push(...servers);
  };
}

/** Whether to add prom-client's default process metrics to the registry (default true). */
export function withProcessMetrics(on: boolean): GovernorOption {
  return (options) => {
    options.processMetrics = on;
  };
}

/** Logs through this logger instead of a `core.governor` one. */
export function withLogger(logger: Logger): GovernorOption {
  return (options) => {
    options.logger = logger;
  };
}

/** A governor's decoded config, waiting for {@link build}'s options. */
export class GovernorContainer {
  constructor(
    /** The config key it was loaded from, e.g. "server.governor". */
    readonly key: string,
    /** The decoded `[key]` tree. */
    readonly config: GovernorConfig,
  ) {}

  /** The governor, with the options applied; it listens once the App runs its `init()`. */
  build(...options: GovernorOption[]): Governor {
    const applied = defaultGovernorOptions();
    for (const option of options) option(applied);
    return new Governor(this.key, this.config, applied);
  }
}

/**
 * Reads the governor's tree (`host`, default "0.0.0.0"; `port`, default 9003: Ego's defaults), as Ego's
 * `egovernor.Load(key)` does. A missing tree gives the defaults.
 *
 * @param key e.g. `"server.governor"`
 * @param cfg the config tree to read; the global `config` by default
 * @throws ConfigError naming the key for a value of the wrong type
 */
export function load(key: string, cfg: Config = globalConfig): GovernorContainer {
  return new GovernorContainer(key, decodeGovernorConfig(cfg.get(key), key));
}
