import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { collectDefaultMetrics, register, type Registry } from "prom-client";
import { deferred } from "../deferred.js";
import { createLogger, type Logger } from "../logger.js";
import type { Server, ServerStatus } from "../server.js";
import type { GovernorConfig } from "./config.js";
import { debugConfigs } from "./debug-config.js";
import { liveness, readiness, statusOf } from "./health.js";
import { LoopWatchdog } from "./loop-watchdog.js";

/** The `comp` field of the governor's log lines. */
export const GOVERNOR_COMPONENT = "core.governor";

/** A loop blocked this long is "blocked for seconds": `/livez` fails for {@link STALL_WINDOW_MS} after. */
const STALL_MS = 5_000;
const STALL_WINDOW_MS = 30_000;

/** What a governor is built with besides its config. */
export interface GovernorOptions {
  /** Where `/metrics` reads from; prom-client's default registry (the one ekafka uses) unless given. */
  registry: Registry;
  /** Servers to watch besides the ones the App runs (the App hands its servers over by itself). */
  servers: Server[];
  /** Add prom-client's default process metrics (CPU, memory, event loop lag, GC) to the registry. Default true. */
  processMetrics: boolean;
  /** Where it logs (a failing HTTP server, for one); a `core.governor` logger at its key when undefined. */
  logger: Logger | undefined;
}

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

/** Registries that already collect the default process metrics: collecting twice would throw. */
const collecting = new WeakSet<Registry>();

/**
 * Ego's governor for this App: an HTTP server (node's `http`: five read-only routes need no framework)
 * next to the App's other servers, with
 *
 * - `GET /metrics`: the Prometheus registry in the text exposition format;
 * - `GET /livez`, `GET /readyz`: 200 or 503 with a JSON body saying why (Kubernetes' probe conventions);
 * - `GET /debug/config`: the effective configuration of every ekafka component, and the librdkafka
 *   properties of each of its clients, secrets redacted;
 * - `GET /debug/servers`: each watched server's status (a Consumer Server's mode, assignment, lag,
 *   in-flight count and last error).
 *
 * It listens in `init()` (a port in use fails the App before the other servers start); `start()`
 * resolves once it has been stopped.
 */
export class Governor implements Server {
  readonly name: string;
  /** The config key it was loaded from, e.g. "server.governor"; also its {@link name}. */
  readonly key: string;
  /** Its decoded `host` and `port`. */
  readonly config: GovernorConfig;
  /** Where it logs: {@link GovernorOptions.logger}, or a `core.governor` logger at its key. */
  readonly logger: Logger;
  readonly #options: GovernorOptions;
  readonly #watched = new Set<Server>();
  readonly #watchdog = new LoopWatchdog();
  readonly #routes: Record<string, Route>;
  readonly #stopped = deferred<void>();
  #http: HttpServer | undefined;
  #listening: Promise<void> | undefined;

  /** Use `governor.load(key).build()`. */
  constructor(key: string, config: GovernorConfig, options: GovernorOptions) {
    this.name = key;
    this.key = key;
    this.config = config;
    this.#options = options;
    this.logger = options.logger ?? createLogger(GOVERNOR_COMPONENT, key);
    for (const server of options.servers) this.#watched.add(server);
    this.#routes = {
      "/metrics": (_, response) => this.#metrics(response),
      "/livez": (_, response) => this.#probe(response, liveness(this.#servers(), this.#watchdog.recentStall(STALL_MS, STALL_WINDOW_MS))),
      "/readyz": (_, response) => this.#probe(response, readiness(this.#servers())),
      "/debug/config": (_, response) => json(response, 200, { components: debugConfigs() }),
      "/debug/servers": (_, response) =>
        json(response, 200, { servers: this.#servers().map((server) => ({ name: server.name, ...statusOf(server) })) }),
    };
  }

  /** Watches the App's servers (called by the App); the governor itself is left out. */
  watch(servers: readonly Server[]): void {
    for (const server of servers) if (server !== this) this.#watched.add(server);
  }

  /** The governor is ready while it listens. */
  status(): ServerStatus {
    const listening = this.#http?.listening === true;
    return { ready: listening, live: true, reason: listening ? `listening on ${this.url ?? ""}` : "not listening" };
  }

  /** Where it listens (the port chosen when configured as 0), once `init()` has run. */
  address():
    | {
        /** The address it listens on, e.g. "0.0.0.0" or "127.0.0.1". */
        host: string;
        /** The TCP port it listens on. */
        port: number;
      }
    | undefined {
    const address = this.#http?.address();
    if (address === null || address === undefined || typeof address === "string") return undefined;
    return { host: address.address, port: address.port };
  }

  /** `http://host:port`, with a loopback host when it listens on every interface. */
  get url(): string | undefined {
    const address = this.address();
    if (address === undefined) return undefined;
    const host =
      address.host === "0.0.0.0" || address.host === "::" ? "127.0.0.1" : address.host.includes(":") ? `[${address.host}]` : address.host;
    return `http://${host}:${address.port}`;
  }

  /**
   * Starts listening.
   * @throws Error naming the key and address when the port cannot be bound (in use, not permitted)
   */
  init(): Promise<void> {
    this.#listening ??= this.#listen();
    return this.#listening;
  }

  /** Serves until stopped. */
  async start(): Promise<void> {
    await this.init();
    await this.#stopped.promise;
  }

  /** Stops listening; requests being answered finish (they are short). */
  async gracefulStop(): Promise<void> {
    await this.#close(false);
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    await this.#close(true);
  }

  async #listen(): Promise<void> {
    if (this.#options.processMetrics && !collecting.has(this.#options.registry)) {
      collecting.add(this.#options.registry);
      collectDefaultMetrics({ register: this.#options.registry });
    }
    const http = createServer((request, response) => void this.#serve(request, response));
    // Probes come every few seconds from one client: idle keep-alive sockets must not hold a stop up.
    http.keepAliveTimeout = 5_000;
    this.#http = http;
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) =>
        reject(new Error(`${this.key}: cannot listen on ${this.config.host}:${this.config.port}: ${err.message}`, { cause: err }));
      http.once("error", failed);
      http.listen(this.config.port, this.config.host, () => {
        http.off("error", failed);
        resolve();
      });
    });
    http.on("error", (err) => this.logger.error({ err }, "governor HTTP server error"));
    this.#watchdog.start();
    this.logger.info({ url: this.url }, "governor listening");
  }

  async #close(hard: boolean): Promise<void> {
    const http = this.#http;
    this.#watchdog.stop();
    if (http === undefined || !http.listening) {
      this.#stopped.resolve();
      return;
    }
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    if (hard) http.closeAllConnections();
    else http.closeIdleConnections();
    await closed;
    this.#stopped.resolve();
  }

  #servers(): Server[] {
    return [...this.#watched];
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?")[0]!;
    const route = this.#routes[path];
    try {
      if (route === undefined) return json(response, 404, { error: `no route ${path}; routes: ${Object.keys(this.#routes).join(", ")}` });
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.setHeader("Allow", "GET, HEAD");
        return json(response, 405, { error: `${path} answers GET only` });
      }
      await route(request, response);
    } catch (err) {
      this.logger.error({ err, path }, "governor request failed");
      if (!response.headersSent) json(response, 500, { error: err instanceof Error ? err.message : String(err) });
      else response.end();
    }
  }

  async #metrics(response: ServerResponse): Promise<void> {
    const registry = this.#options.registry;
    const text = await registry.metrics();
    response.writeHead(200, { "Content-Type": registry.contentType });
    response.end(text);
  }

  #probe(response: ServerResponse, report: { ok: boolean }): void {
    json(response, report.ok ? 200 : 503, report);
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}

/** The defaults of {@link GovernorOptions}. */
export function defaultGovernorOptions(): GovernorOptions {
  return { registry: register, servers: [], processMetrics: true, logger: undefined };
}
