/** A promise together with the function that resolves it, for signalling between async flows. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

/** A {@link Deferred} that can only be resolved, never rejected, so it can't become an unhandled rejection. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/**
 * Waits until `work` settles, but no longer than `timeoutMs`, nor after `interrupt` resolves.
 * @returns true when `work` settled in time (whether it fulfilled or rejected)
 */
export async function settlesWithin(work: Promise<unknown>, timeoutMs: number, interrupt?: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((settle) => {
    timer = setTimeout(() => settle(false), timeoutMs);
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  const interrupted = interrupt?.then(() => false) ?? new Promise<false>(() => {});
  try {
    return await Promise.race([settled, timeout, interrupted]);
  } finally {
    clearTimeout(timer);
  }
}
