import type { Server, ServerStatus } from "../server.js";

/** One server's line in a probe's answer. */
export interface ServerHealth {
  /** The server's name (a Consumer Server's config key, e.g. "kafkaConsumerServers.s1"). */
  name: string;
  /** Whether it does its work now (see `ServerStatus.ready`). */
  ready: boolean;
  /** False only when it cannot recover without a restart (see `ServerStatus.live`). */
  live: boolean;
  /** Why it is (not) ready or live, in words. */
  reason: string;
}

/** What `/readyz` and `/livez` answer: the verdict and each server's part in it. */
export interface HealthReport {
  /** Ready (for `/readyz`) or live (for `/livez`). */
  ok: boolean;
  /** Every watched server's status, in the order they were watched. */
  servers: ServerHealth[];
  /** Why not, when not ok. */
  reason?: string;
}

/** A server's status; one without `status()` counts as fine, and a `status()` that throws as not. */
export function statusOf(server: Server): ServerStatus {
  if (server.status === undefined) return { ready: true, live: true, reason: "running (reports no status)" };
  try {
    return server.status();
  } catch (err) {
    return { ready: false, live: true, reason: `status() failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Ready when every server is; the reason names the ones that are not. */
export function readiness(servers: readonly Server[]): HealthReport {
  return report(servers, "ready");
}

/** Live when every server is (none stopped with an error) and the event loop was not blocked. */
export function liveness(servers: readonly Server[], loopStall?: { ms: number; agoMs: number }): HealthReport {
  const health = report(servers, "live");
  if (loopStall === undefined) return health;
  const stalled = `the event loop was blocked for ${loopStall.ms} ms (${Math.round(loopStall.agoMs / 1000)} s ago)`;
  return { ...health, ok: false, reason: health.reason === undefined ? stalled : `${health.reason}; ${stalled}` };
}

function report(servers: readonly Server[], which: "ready" | "live"): HealthReport {
  const lines = servers.map((server) => {
    const status = statusOf(server);
    return { name: server.name, ready: status.ready, live: status.live, reason: status.reason };
  });
  const failing = lines.filter((line) => !line[which]);
  if (failing.length === 0) return { ok: true, servers: lines };
  return { ok: false, servers: lines, reason: failing.map((line) => `${line.name}: ${line.reason}`).join("; ") };
}
