import { describeMessage } from "../handler-error.js";

/**
 * Writing a message to its next retry topic failed: it is neither handled nor parked, so the server
 * stops without committing it. `cause` is the write error; `handlerError` is why the message was being moved.
 */
export class RetryTierError extends Error {
  /** Always "RetryTierError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "RetryTierError";

  constructor(
    message: { topic: string; partition: number; offset: number },
    destination: string,
    /** The handler's failure that was moving the message to its next tier. */
    readonly handlerError: Error,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`writing ${describeMessage(message)} to ${destination} failed (${reason}); it had failed with: ${handlerError.message}`, {
      cause,
    });
  }
}
