// Builds ekafka components for e2e tests from TOML text, against the cluster of e2e.toml.
import { Config } from "ekafka/core";
import { load, type Component, type Option } from "ekafka";
import { brokers } from "./env.js";

/** Short group timings so rebalances in tests take seconds, not half a minute. */
export const FAST_GROUP = `
heartbeatInterval = "500ms"
sessionTimeout = "6s"
rebalanceTimeout = "10s"
maxWait = "100ms"
`;

/**
 * Builds the component at `[kafka]` from `toml` (which must not set brokers: they come from e2e.toml).
 * Remember to close it.
 */
export function buildComponent(toml: string, ...options: Option[]): Component {
  const cfg = new Config();
  cfg.loadString(`[kafka]\nbrokers = ${JSON.stringify(brokers)}\n${toml}`);
  return load("kafka", cfg).build(...options);
}
