import type { Logger } from "../src/core/index.js";
import type { Message } from "../src/index.js";

/** Where an error reported to `onError` came from. */
export type ErrorPhase =
  /** The handler failed for a message (each failed call, retries included). */
  | "handle"
  /** `poll()` returned an error (a fetch, group or broker error). */
  | "fetch"
  /** Storing or committing offsets failed, or pausing/resuming partitions. */
  | "commit"
  /** Writing a message to the dead-letter producer failed. */
  | "deadLetter"
  /** Writing a message to a retry tier's topic failed. */
  | "retryTier"
  /** Closing the consumer, consumer group or leaving the group failed. */
  | "close";

/** What `onError` is told along with the error. */
export interface ErrorDetails {
  /** Which step of the server's work failed. */
  phase: ErrorPhase;
  /** The message concerned, for `handle` and `deadLetter`. */
  message?: Message;
  /** For `handle`: the handler call that failed (1 = the first). */
  attempt?: number;
  /** Whether the server tries again (retries the message, keeps polling) rather than giving up on it. */
  retrying: boolean;
}

/**
 * Receives every error the server meets — handler, fetch, commit and dead-letter errors — as it
 * happens, like Go ekafka's error channel. It is not awaited (a slow one must not hold up consumption)
 * and what it throws or rejects with is logged, not acted on.
 */
export type ErrorHandler = (error: Error, details: ErrorDetails) => unknown;

/** How the server's parts report an error: logs it and hands it to the user's {@link ErrorHandler}. */
export type Reporter = (error: Error, details: ErrorDetails) => void;

/** A {@link Reporter} over `onError` (optional) that never throws. */
export function reporter(onError: ErrorHandler | undefined, logger: Logger): Reporter {
  if (onError === undefined) return () => undefined;
  const failed = (thrown: unknown) => logger.error({ err: thrown }, "onError threw; ignored");
  return (error, details) => {
    try {
      const result = onError(error, details);
      if (result instanceof Promise) result.catch(failed);
    } catch (thrown) {
      failed(thrown);
    }
  };
}
