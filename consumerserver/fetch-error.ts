// How the server tells a passing fetch error (a broker restarting, a leader moving) from one that will
// not go away (the client is fenced, authentication is broken): librdkafka marks the latter `fatal`, and
// the ConsumerGroup returns its errors as KafkaError values carrying that flag.
import { ClosedError } from "../src/index.js";

/** The fields of a KafkaError the classification reads; other errors lack them. */
interface ClassifiedError {
  fatal?: unknown;
  retriable?: unknown;
}

/**
 * Whether a fetch error returned by `ConsumerGroup.poll()` stops the server. A fatal error does, and so
 * does a {@link ClosedError} (the reader was closed under the running server, e.g. the component closed
 * before the App stopped: every poll after it fails at once, so polling on would only spin): librdkafka
 * recovers from every other one by itself (reconnects, rejoins the group), so the server keeps polling,
 * after a backoff. Other errors without the flag (not a KafkaError) are treated as temporary.
 */
export function isPermanentFetchError(error: unknown): boolean {
  if (error instanceof ClosedError) return true;
  return typeof error === "object" && error !== null && (error as ClassifiedError).fatal === true;
}
