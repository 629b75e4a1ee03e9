import {
  ConstantBackoff,
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  handleWhen,
  retry,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from "cockatiel";

/** How the waits between tries grow: exponential with jitter (see `Backoff`), or constant when `multiplier` is 1. */
export interface RetryWaits {
  /** The typical first wait, in ms. */
  initialMs: number;
  /** The longest wait, in ms. */
  maxMs: number;
  /** Growth per try (default 2). 1: a constant wait of `initialMs`, without jitter. */
  multiplier?: number;
}

/** What is tried again, how often and with which waits: one retry policy of ekafka. */
export interface RetryOptions {
  /** Tries after the first call; `Infinity` tries until success, the signal aborts or the deadline passes. */
  retries: number;
  /** The waits between tries. */
  waits: RetryWaits;
  /** Whether a failure is worth another try; any other failure ends the tries at once. */
  retryIf: (error: unknown) => boolean;
  /** No try starts after this time (ms since the epoch); the last wait is cut to end at it. */
  deadline?: number;
  /** Told of each failure that will be tried again, before its wait (the try number is 1 for the first retry). */
  onRetry?: (error: unknown, retry: number, waitMs: number) => void;
}

type Context = IRetryBackoffContext<unknown>;

/** A backoff whose waits end at the deadline at the latest. */
class WaitsUntil implements IBackoff<Context> {
  constructor(
    private readonly inner: IBackoff<Context>,
    private readonly deadline: number,
  ) {}

  get duration(): number {
    return Math.max(0, Math.min(this.inner.duration, this.deadline - Date.now()));
  }

  next(context: Context): IBackoff<Context> {
    return new WaitsUntil(this.inner.next(context), this.deadline);
  }
}

function waitsOf({ initialMs, maxMs, multiplier = 2 }: RetryWaits, deadline: number): IBackoffFactory<Context> {
  const base: IBackoffFactory<Context> =
    multiplier === 1
      ? new ConstantBackoff(Math.min(initialMs, maxMs))
      : new ExponentialBackoff({ generator: decorrelatedJitterGenerator, initialDelay: initialMs, maxDelay: maxMs, exponent: multiplier });
  return deadline === Infinity ? base : { next: (context) => new WaitsUntil(base.next(context), deadline) };
}

/**
 * Runs `attempt` and tries it again as `options` say — the one retry loop of ekafka, built on cockatiel:
 * the Consumer Server's in-place handler retries, its retry-tier and dead-letter writes, a producer
 * waiting for a new topic's metadata and the creation of retry topics all go through it.
 *
 * A wait ends early when `signal` aborts: the promise then rejects at once with the last failure (a
 * hard stop must not wait out a backoff). The waits' timers do not keep the process alive.
 *
 * @param attempt one try; its argument counts the tries before it (0 for the first)
 * @returns what the first successful try resolved to
 * @throws the last failure: one `retryIf` refused, the last of `retries`, or the one met at the deadline or abort
 */
export function withRetries<T>(attempt: (tries: number) => Promise<T>, options: RetryOptions, signal?: AbortSignal): Promise<T> {
  const deadline = options.deadline ?? Infinity;
  let last: unknown;
  const policy = retry(
    handleWhen((error) => {
      last = error;
      return options.retryIf(error) && signal?.aborted !== true && Date.now() < deadline;
    }),
    { maxAttempts: options.retries, backoff: waitsOf(options.waits, deadline) },
  ).dangerouslyUnref();
  if (options.onRetry !== undefined) {
    const onRetry = options.onRetry;
    policy.onRetry((event) => {
      if ("error" in event) onRetry(event.error, event.attempt, event.delay);
    });
  }
  const tries = policy.execute(({ attempt: tried }) => attempt(tried), signal);
  return signal === undefined ? tries : abortable(tries, signal, () => last);
}

/** `tries`, or its last failure as soon as `signal` aborts (the tries then end at their next check). */
function abortable<T>(tries: Promise<T>, signal: AbortSignal, last: () => unknown): Promise<T> {
  if (signal.aborted) {
    tries.catch(() => undefined);
    return tries;
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      tries.catch(() => undefined); // settles later, unobserved
      reject(last() ?? signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    tries.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Whether a write error may pass: librdkafka's `retriable` flag (e.g. a message timed out while a broker was down), unless fatal. */
export function isRetriableWriteError(error: unknown): boolean {
  const flags = error as { retriable?: unknown; fatal?: unknown } | null;
  return typeof flags === "object" && flags !== null && flags.retriable === true && flags.fatal !== true;
}
