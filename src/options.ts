import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Balancer } from "./balancer.js";
import type { Interceptor } from "./interceptors.js";

/** What the build options set; defaults come from the config file. */
export interface BuildOptions {
  /** Replaces `brokers` of the config. */
  brokers?: string[];
  /** Replaces `debug` of the config. */
  debug?: boolean;
  /** Wrap producer, admin and consumer-group calls, after the built-in interceptors. */
  clientInterceptors: Interceptor[];
  /** Wrap consumer calls, after the built-in interceptors. */
  serverInterceptors: Interceptor[];
  /** Balancers by the name used in `producers.<name>.balancer`. */
  balancers: Map<string, Balancer>;
  /** The component's logger; default a pino logger carrying the component's name and key. */
  logger?: Logger;
  /** Where the metric interceptor registers its metrics; default prom-client's global registry. */
  registry?: Registry;
}

/** Changes how a component is built: `load("kafka").build(withDebug(true), ...)`. */
export type Option = (options: BuildOptions) => void;

/** Uses these brokers instead of the configured `brokers`. */
export function withBrokers(...brokers: string[]): Option {
  return (o) => {
    o.brokers = brokers
      .flatMap((b) => b.split(","))
      .map((b) => b.trim())
      .filter((b) => b !== "");
  };
}

/** Turns the debug interceptor (one line per call on stderr) on or off, whatever the config says. */
export function withDebug(on: boolean): Option {
  return (o) => {
    o.debug = on;
  };
}

/** Adds interceptors around producer, admin and consumer-group calls, in the order given. */
export function withClientInterceptor(...interceptors: Interceptor[]): Option {
  return (o) => {
    o.clientInterceptors.push(...interceptors);
  };
}

/** Adds interceptors around consumer calls, in the order given. */
export function withServerInterceptor(...interceptors: Interceptor[]): Option {
  return (o) => {
    o.serverInterceptors.push(...interceptors);
  };
}

/** Makes a balancer available to producers by name (`balancer = "<name>"`); may replace a built-in. */
export function withRegisterBalancer(name: string, balancer: Balancer): Option {
  return (o) => {
    if (typeof balancer?.balance !== "function") {
      throw new TypeError(`withRegisterBalancer(${JSON.stringify(name)}): expected an object with a balance(message, partitions) method`);
    }
    o.balancers.set(name, balancer);
  };
}

/** Logs through this logger instead of the component's own. */
export function withLogger(logger: Logger): Option {
  return (o) => {
    o.logger = logger;
  };
}

/** Registers the metrics in this registry instead of prom-client's global one. */
export function withMetricsRegistry(registry: Registry): Option {
  return (o) => {
    o.registry = registry;
  };
}

/** The options with nothing set. */
export function defaultBuildOptions(): BuildOptions {
  return { clientInterceptors: [], serverInterceptors: [], balancers: new Map() };
}
