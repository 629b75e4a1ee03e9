import { ConstantBackoff, decorrelatedJitterGenerator, ExponentialBackoff, type IBackoff } from "cockatiel";

/** How a {@link Backoff} grows. */
export interface BackoffOptions {
  /** The typical first wait, in ms. */
  initialMs: number;
  /** The longest wait, in ms. */
  maxMs: number;
  /** Growth per step (default 2). 1 means a constant wait of `initialMs`, without jitter. */
  multiplier?: number;
}

/**
 * Waits between tries of something that failed: exponential growth with jitter, so that many clients
 * failing at once (every consumer of a group when a broker restarts) do not come back in lockstep.
 *
 * The numbers come from cockatiel's decorrelated-jitter generator (Polly's "DecorrelatedJitterV2"): the
 * median of the n-th wait is about `initialMs * multiplier^(n-1)`, each wait is random around it, and
 * none exceeds `maxMs`. One Backoff follows one run of consecutive failures; {@link reset} it after a
 * success.
 *
 * Used where a loop paces itself rather than retrying a call: a consumer's fetch-error and connect
 * backoff (`readBackoffMin` / `readBackoffMax`) and the schema decoder's wait for the registry. Retries of
 * a call (handler retries, retry-tier and dead-letter writes, a write waiting for a topic's metadata)
 * go through `withRetries` (retry-policies.ts), whose waits come from the same cockatiel generator.
 *
 * @example
 * const backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
 * for (;;) { try { await work(); backoff.reset(); break; } catch { await sleep(backoff.next()); } }
 */
export class Backoff {
  readonly #options: Required<BackoffOptions>;
  #current: IBackoff<unknown> | undefined;
  #steps = 0;

  /** @throws RangeError naming the option when a value is negative, not finite, or the multiplier is below 1 */
  constructor(options: BackoffOptions) {
    this.#options = checkedOptions(options);
  }

  /** Waits handed out since the last reset. */
  get steps(): number {
    return this.#steps;
  }

  /** The next wait, in whole ms; each call is one step further. */
  next(): number {
    const { initialMs, maxMs, multiplier } = this.#options;
    this.#current =
      this.#current?.next(undefined) ??
      (multiplier === 1
        ? new ConstantBackoff(Math.min(initialMs, maxMs)).next()
        : new ExponentialBackoff({
            generator: decorrelatedJitterGenerator,
            initialDelay: initialMs,
            maxDelay: maxMs,
            exponent: multiplier,
          }).next());
    this.#steps++;
    return Math.round(this.#current.duration);
  }

  /** Starts over: the next wait is a first one again. */
  reset(): void {
    this.#current = undefined;
    this.#steps = 0;
  }
}

function checkedOptions(options: BackoffOptions): Required<BackoffOptions> {
  const checked = { multiplier: 2, ...options };
  for (const field of ["initialMs", "maxMs"] as const) {
    const value = checked[field];
    if (!(Number.isFinite(value) && value >= 0))
      throw new RangeError(`Backoff: ${field} must be a number of ms of at least 0, found ${String(value)}`);
  }
  if (!(Number.isFinite(checked.multiplier) && checked.multiplier >= 1)) {
    throw new RangeError(`Backoff: multiplier must be a number of at least 1, found ${String(checked.multiplier)}`);
  }
  return checked;
}
