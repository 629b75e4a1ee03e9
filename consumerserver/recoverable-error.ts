/**
 * A handler error worth another try: a timeout, a dependency that is briefly down, a lock that is held.
 * The Consumer Server retries a message whose handler failed with one (or with an error that has one in
 * its `cause` chain) a few times with a short backoff, instead of stopping. It plays the part of Go
 * ekafka's `ErrRecoverableError`, which handlers wrapped with `fmt.Errorf("%w ...")`.
 *
 * @example
 * throw new RecoverableError("database busy", { cause: err });
 * // or mark an error of your own by putting a RecoverableError in its cause chain:
 * throw new Error("saving the order failed", { cause: new RecoverableError("database busy") });
 */
export class RecoverableError extends Error {
  /** "RecoverableError"; a subclass may name itself (recognition goes by `instanceof`, not by name). */
  override readonly name: string = "RecoverableError";
}

// A cause chain can be circular (a.cause = b, b.cause = a); walking it must still end.
const MAX_CAUSE_DEPTH = 32;

/**
 * Whether `error` is a {@link RecoverableError} or has one somewhere in its `cause` chain (also through
 * an `AggregateError`'s `errors`).
 */
export function isRecoverable(error: unknown): boolean {
  return findInCauses(error, (candidate) => candidate instanceof RecoverableError, new Set(), 0);
}

function findInCauses(error: unknown, matches: (candidate: unknown) => boolean, seen: Set<unknown>, depth: number): boolean {
  if (error === null || error === undefined || seen.has(error) || depth > MAX_CAUSE_DEPTH) return false;
  if (matches(error)) return true;
  if (typeof error !== "object") return false;
  seen.add(error);
  if (error instanceof AggregateError && error.errors.some((inner) => findInCauses(inner, matches, seen, depth + 1))) return true;
  return findInCauses((error as { cause?: unknown }).cause, matches, seen, depth + 1);
}
