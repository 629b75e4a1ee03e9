// Waiting in tests: on a condition, polled, with a message naming what did not happen. A fixed sleep is
// only for a fault's own duration (how long a link hangs) or a deliberate pace, never for "long enough".

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every `everyMs` until it is true; rejects naming `what` after `timeoutMs`. A
 * condition that throws ends the wait with its error (a server's failure, say).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string | (() => string),
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`);
    await sleep(everyMs);
  }
}

/**
 * Polls `probe` until it returns something other than undefined, and returns that; a probe that throws
 * counts as undefined (an HTTP server not listening yet, say). Rejects naming `what` after `timeoutMs`.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
