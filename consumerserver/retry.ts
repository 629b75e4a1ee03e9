import { Backoff } from "../src/index.js";
import { isRecoverable } from "./recoverable-error.js";

/**
 * How a message whose handler failed with a recoverable error is tried again.
 *
 * `attempts` counts the tries *after* the first call, as in Go ekafka ("retried up to 3 times"): with the
 * default 3, a handler that keeps failing is called 4 times. Between tries the server waits about
 * `backoffMs`, then about `backoffMs * multiplier`, … never more than `maxBackoffMs`: exponential backoff
 * with jitter (see `Backoff`), so handlers failing together do not retry in lockstep.
 */
export interface RetryPolicy {
  /** Retries after the first call. Default 3. 0 turns retrying off. */
  attempts: number;
  /** Typical wait before the first retry, in ms (jittered). Default 100. */
  backoffMs: number;
  /** Growth of the typical wait per further retry. Default 2 (about 100, 200, 400 ms). 1: a constant wait, no jitter. */
  multiplier: number;
  /** Longest wait between tries, in ms. Default 5000. */
  maxBackoffMs: number;
}

/** Go ekafka's behaviour (3 retries) with a short, growing backoff. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 3,
  backoffMs: 100,
  multiplier: 2,
  maxBackoffMs: 5000,
});

/**
 * The default policy with `overrides` applied, checked.
 * @throws RangeError naming the field when a value is negative, not finite, or (attempts) not an integer
 */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY };
  for (const [field, value] of Object.entries(overrides) as [keyof RetryPolicy, number | undefined][]) {
    if (value !== undefined) policy[field] = value;
  }
  check("attempts", policy.attempts, Number.isInteger(policy.attempts) && policy.attempts >= 0, "an integer of at least 0");
  check("backoffMs", policy.backoffMs, Number.isFinite(policy.backoffMs) && policy.backoffMs >= 0, "a number of ms of at least 0");
  check("multiplier", policy.multiplier, Number.isFinite(policy.multiplier) && policy.multiplier >= 1, "a number of at least 1");
  check(
    "maxBackoffMs",
    policy.maxBackoffMs,
    Number.isFinite(policy.maxBackoffMs) && policy.maxBackoffMs >= 0,
    "a number of ms of at least 0",
  );
  return policy;
}

function check(field: keyof RetryPolicy, value: unknown, ok: boolean, expected: string): void {
  if (!ok) throw new RangeError(`withRetry: ${field} must be ${expected}, found ${String(value)}`);
}

/**
 * Whether a message whose handler has now failed `calls` times (the first call included) with `error`
 * is tried again: only recoverable errors are, and only `policy.attempts` times.
 */
export function shouldRetry(policy: RetryPolicy, error: unknown, calls: number): boolean {
  return calls <= policy.attempts && isRecoverable(error);
}

/** The waits between the tries of one message (or batch): a fresh {@link Backoff} per delivery. */
export function retryBackoff(policy: RetryPolicy): Backoff {
  return new Backoff({ initialMs: policy.backoffMs, maxMs: policy.maxBackoffMs, multiplier: policy.multiplier });
}
