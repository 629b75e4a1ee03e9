/**
 * The governor: Ego's operations HTTP server (`/metrics`, `/livez`, `/readyz`, `/debug/config`,
 * `/debug/servers`), served by the App next to its other servers.
 *
 * @example
 * await new App().serve(governor.load("server.governor").build(), consumerServer).run();
 *
 * @module
 */
export { load, GovernorContainer, withLogger, withProcessMetrics, withRegistry, withServers, type GovernorOption } from "./container.js";
export { Governor, GOVERNOR_COMPONENT, type GovernorOptions } from "./server.js";
export { DEFAULT_GOVERNOR_HOST, DEFAULT_GOVERNOR_PORT, decodeGovernorConfig, type GovernorConfig } from "./config.js";
export { registerDebugConfig, debugConfigs, type DebugConfigProvider } from "./debug-config.js";
export { liveness, readiness, statusOf, type HealthReport, type ServerHealth } from "./health.js";
