import { toError } from "./handler-error.js";
import type { Middleware } from "./middleware.js";
import { recordFailure } from "./delivery-state.js";

/**
 * Notes every failed handler call of a delivery, so that the retry-tier step can write one header per
 * attempt. Sits innermost, inside the in-place retries, to see each call.
 */
export function recordingFailures(): Middleware {
  return (next) => async (delivery) => {
    try {
      await next(delivery);
    } catch (error) {
      if (!delivery.signal.aborted) recordFailure(delivery, error instanceof Error ? error : toError(error, delivery.message));
      throw error;
    }
  };
}
