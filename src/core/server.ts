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
}
