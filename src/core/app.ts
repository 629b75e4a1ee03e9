import { bindValue, createContainer, resolve, type Container, type ServiceIdentifier } from "./container.js";
import { deferred, settlesWithin } from "./deferred.js";
import { createLogger, type Logger } from "./logger.js";
import type { Server } from "./server.js";

/** How long a graceful stop may take before servers are stopped hard, unless configured. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/** Options for {@link App}. */
export interface AppOptions {
  /**
   * How long `gracefulStop()` may take before `stop()` is called; the same again is allowed for the
   * hard stop. Default 30 s.
   */
  stopTimeoutMs?: number;
  /** The signals that start a graceful stop; default SIGINT and SIGTERM. A second one stops hard. */
  signals?: readonly NodeJS.Signals[];
  /** Where the App logs its lifecycle; default a logger with `comp: "core.app"`. */
  logger?: Logger;
  /** The DI container to own; default a new one (see {@link createContainer}). */
  container?: Container;
}

type Phase = "new" | "initializing" | "running" | "finished";

/**
 * Runs servers until they stop, the process gets SIGINT/SIGTERM, or one of them fails.
 *
 * `run()` initializes every server (in order), starts them all, and resolves once all have stopped.
 * On a signal or {@link stop}, each running server gets `gracefulStop()`; servers still running after
 * `stopTimeoutMs` get `stop()`. When a server's `start()` rejects, the others are stopped gracefully and
 * `run()` rejects with that first error, so `await app.run()` in `main` exits the process non-zero.
 *
 * An App runs once. It also owns a DI {@link container} for wiring components into application classes.
 */
export class App {
  /** The inversify container this App owns; see {@link bind} and {@link resolve}. */
  readonly container: Container;
  readonly #servers: Server[] = [];
  readonly #stopTimeoutMs: number;
  readonly #signals: readonly NodeJS.Signals[];
  readonly #log: Logger;
  #phase: Phase = "new";
  #stopRequestedBeforeStart = false;
  #shutdown: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  readonly #stoppedServers = new Set<Server>();
  #allStopped: Promise<unknown> = Promise.resolve();
  readonly #hardStopRequested = deferred<void>();
  readonly #gaveUp = deferred<Error>();
  readonly #finished = deferred<void>();

  constructor(options: AppOptions = {}) {
    this.#stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.#signals = options.signals ?? ["SIGINT", "SIGTERM"];
    this.#log = options.logger ?? createLogger("core.app", "app");
    this.container = options.container ?? createContainer();
  }

  /** Adds servers to run; call before {@link run}. Chainable. */
  serve(...servers: Server[]): this {
    if (this.#phase !== "new") throw new Error("App.serve() must be called before App.run()");
    this.#servers.push(...servers);
    return this;
  }

  /** Binds a value (e.g. a component) to a token in {@link container}; see {@link bindValue}. Chainable. */
  bind<T>(token: ServiceIdentifier<T>, value: T): this {
    bindValue(this.container, token, value);
    return this;
  }

  /** Gets what `token` is bound to, or builds an `@injectable()` class with its dependencies injected. */
  resolve<T>(token: ServiceIdentifier<T>): T {
    return resolve(this.container, token);
  }

  /**
   * Initializes and starts every server, and resolves when all have stopped.
   * @throws the first error a server's `init()` or `start()` failed with (after stopping the others)
   */
  async run(): Promise<void> {
    if (this.#phase !== "new") throw new Error("App.run() can be called only once");
    this.#phase = "initializing";
    const stopListening = this.#listenForSignals();
    // Servers that only wait on promises hold no handle; without one, Node would exit mid-run.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    try {
      for (const server of this.#servers) server.watch?.(this.#servers);
      await this.#initAll();
      if (this.#stopRequestedBeforeStart) {
        this.#log.info("stop requested before the servers started; not starting them");
        await this.#stopEach(this.#servers, "stop");
        return;
      }
      this.#phase = "running";
      await this.#startAllAndWait();
      if (this.#failure !== undefined) throw this.#failure.error;
    } finally {
      clearInterval(keepAlive);
      stopListening();
      this.#phase = "finished";
      this.#finished.resolve();
    }
  }

  /**
   * Stops all servers gracefully (then hard, after the timeout) and resolves when {@link run} has
   * finished. Never rejects: a failure is reported by `run()`. Does nothing when the App is not running.
   */
  async stop(): Promise<void> {
    if (this.#phase === "new" || this.#phase === "finished") return;
    this.#beginStop("App.stop() was called");
    await this.#finished.promise;
  }

  async #initAll(): Promise<void> {
    const initialized: Server[] = [];
    for (const server of this.#servers) {
      try {
        await server.init?.();
        initialized.push(server);
      } catch (error) {
        this.#log.error({ server: server.name, err: error }, "server init failed");
        await this.#stopEach(initialized, "stop");
        throw error;
      }
    }
  }

  async #startAllAndWait(): Promise<void> {
    this.#allStopped = Promise.all(this.#servers.map((server) => this.#runServer(server)));
    this.#log.info({ servers: this.#servers.map((server) => server.name) }, "app started");
    const gaveUp = await Promise.race([this.#allStopped.then(() => undefined), this.#gaveUp.promise]);
    if (gaveUp !== undefined) this.#failure ??= { error: gaveUp };
    await this.#shutdown;
    this.#log.info("app stopped");
  }

  // Never rejects: a failure is recorded for run() and starts the stop sequence.
  async #runServer(server: Server): Promise<void> {
    try {
      this.#log.info({ server: server.name }, "server starting");
      // Deferred by a microtask, so a start() that throws at once cannot begin the stop sequence before
      // every server's run is registered in #allStopped.
      await Promise.resolve().then(() => server.start());
      this.#stoppedServers.add(server);
      this.#log.info({ server: server.name }, "server stopped");
    } catch (error) {
      this.#stoppedServers.add(server); // before the stop sequence, which must not stop it again
      this.#log.error({ server: server.name, err: error }, "server failed");
      this.#failure ??= { error };
      this.#beginStop(`server ${server.name} failed`);
    }
  }

  #beginStop(reason: string): void {
    if (this.#phase === "initializing") this.#stopRequestedBeforeStart = true;
    if (this.#phase !== "running") return;
    this.#shutdown ??= this.#stopAll(reason);
  }

  async #stopAll(reason: string): Promise<void> {
    this.#log.info({ reason, timeoutMs: this.#stopTimeoutMs }, "stopping gracefully");
    const graceful = this.#stopEach(this.#runningServers(), "gracefulStop");
    const gracefulInTime = await settlesWithin(
      Promise.all([graceful, this.#allStopped]),
      this.#stopTimeoutMs,
      this.#hardStopRequested.promise,
    );
    if (gracefulInTime || this.#runningServers().length === 0) return;

    const stuck = this.#runningServers();
    this.#log.warn(
      { servers: names(stuck), timeoutMs: this.#stopTimeoutMs },
      "graceful stop did not finish (timed out or a second signal); stopping hard",
    );
    const hard = this.#stopEach(stuck, "stop");
    if (await settlesWithin(Promise.all([hard, this.#allStopped]), this.#stopTimeoutMs)) return;

    const stillRunning = names(this.#runningServers());
    this.#log.error({ servers: stillRunning }, "servers did not stop; giving up on them");
    this.#gaveUp.resolve(new Error(`servers did not stop within ${this.#stopTimeoutMs} ms after stop(): ${stillRunning.join(", ")}`));
  }

  #runningServers(): Server[] {
    return this.#servers.filter((server) => !this.#stoppedServers.has(server));
  }

  // Errors from stopping are logged, not thrown: one server failing to stop must not keep others running.
  async #stopEach(servers: readonly Server[], method: "gracefulStop" | "stop"): Promise<void> {
    await Promise.all(
      servers.map(async (server) => {
        try {
          await server[method]();
        } catch (error) {
          this.#log.error({ server: server.name, err: error }, `server ${method}() failed`);
        }
      }),
    );
  }

  #listenForSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals) => this.#onSignal(signal);
    for (const signal of this.#signals) process.on(signal, onSignal);
    return () => {
      for (const signal of this.#signals) process.off(signal, onSignal);
    };
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#shutdown !== undefined || this.#stopRequestedBeforeStart) {
      this.#log.warn({ signal }, "second signal; stopping hard");
      this.#hardStopRequested.resolve();
      return;
    }
    this.#log.info({ signal }, "signal received");
    this.#beginStop(signal);
  }
}

function names(servers: readonly Server[]): string[] {
  return servers.map((server) => server.name);
}
