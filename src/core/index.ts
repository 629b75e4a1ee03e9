/**
 * ekafka/core — the small framework the ekafka component plugs into: a config tree read from TOML, a
 * schema decoder with Go-compatible weak typing, an App that runs Servers until SIGTERM, pino loggers
 * per component, metric series that hot paths update with plain arithmetic, and optional dependency
 * injection.
 *
 * @module ekafka/core
 */
export { App, DEFAULT_STOP_TIMEOUT_MS, type AppOptions } from "./app.js";
export { Config, config } from "./config.js";
export { CONFIG_PATH_ENV, configPathFromArgs } from "./config-path.js";
export {
  bindFactory,
  bindValue,
  Container,
  createContainer,
  inject,
  injectable,
  named,
  optional,
  resolve,
  type Newable,
  type ServiceIdentifier,
} from "./container.js";
export { AccumulatingHistogram, HistogramSeries, accumulatingCounter, counterSeries, type CounterSeries } from "./accumulating-metrics.js";
export { DISABLED_DURATION, parseDuration } from "./duration.js";
export { expandEnv, expandEnvDeep, type Environment } from "./env.js";
export { ConfigError, type ConfigErrorLocation } from "./errors.js";
export {
  createLogger,
  createRootLogger,
  logger,
  setLogDestination,
  setLogger,
  setLogLevel,
  shouldPrettyPrint,
  type ComponentLoggerOptions,
  type LineSink,
  type Logger,
  type RootLoggerOptions,
} from "./logger.js";
export { formatLine, prettyDestination } from "./pretty-format.js";
export {
  decode,
  defineSchema,
  type Decoded,
  type FieldAlwaysPresent,
  type FieldSpec,
  type FieldValue,
  type Schema,
  type Warn,
} from "./schema.js";
export type { Server, ServerStatus } from "./server.js";
export * as governor from "./governor/index.js";
