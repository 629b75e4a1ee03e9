/**
 * Something long-running the {@link App} manages: a consumer server, an HTTP server, a scheduler.
 *
 * Contract: `start()` resolves when the server has stopped (rejecting means it failed);
 * `gracefulStop()` asks it to finish in-flight work and stop; `stop()` stops it now. Both stop methods
 * may be called at any time, also before `start()` or more than once, and should make a pending
 * `start()` settle.
 */
export interface Server {
  /** Used in log lines and error messages. */
  name: string;
  /** Prepares the server (connects, validates config); called for every server before any is started. */
  init?(): Promise<void> | void;
  /** Runs the server; resolves when it has stopped, rejects when it failed. */
  start(): Promise<void>;
  /** Stops at once, abandoning in-flight work. */
  stop(): Promise<void>;
  /** Stops after finishing in-flight work (e.g. let the handler finish, commit, leave the group). */
  gracefulStop(): Promise<void>;
  /** Reports the server's health (see {@link ServerStatus}); servers without it count as ready while running. */
  status?(): ServerStatus;
  /**
   * Called by the App, before any `init()`, with every server it runs (this one included): lets a
   * server that watches the others (the governor) find them.
   */
  watch?(servers: readonly Server[]): void;
}

/**
 * What a server says about its health, for the governor's `/readyz`, `/livez` and `/debug/servers`
 * (see {@link Server.status}).
 */
export interface ServerStatus {
  /** Whether it does its work now (a Consumer Server: started, in its group, brokers reachable). */
  ready: boolean;
  /** False only when it cannot recover without a restart (it stopped with an error). */
  live: boolean;
  /** Why it is (not) ready or live, in words, e.g. "joining group orders". */
  reason: string;
  /** Anything more worth showing: mode, assignment, lag, in-flight count, last error. No secrets. */
  details?: Record<string, unknown>;
}
