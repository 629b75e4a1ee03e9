import type { Delivery } from "./delivery.js";
import { freshState, type Failure, type TierState } from "./failure-headers.js";

// Kept beside the delivery rather than on it: only the retry-tier steps read these.
const states = new WeakMap<Delivery, TierState>();
const failures = new WeakMap<Delivery, Failure[]>();

/** Marks a delivery as read from a retry topic, in the state its headers carry. */
export function setTierState(delivery: Delivery, state: TierState): void {
  states.set(delivery, state);
}

/** The delivery's tier state: what its retry-topic headers said, or fresh for a message of its own topic. */
export function tierStateOf(delivery: Delivery): TierState {
  return states.get(delivery) ?? freshState(delivery.message);
}

/** The handler calls that failed for this delivery, in order. */
export function failuresOf(delivery: Delivery): readonly Failure[] {
  return failures.get(delivery) ?? [];
}

/** Notes a failed handler call of the delivery. */
export function recordFailure(delivery: Delivery, error: Error): void {
  let list = failures.get(delivery);
  if (list === undefined) failures.set(delivery, (list = []));
  const { topic, partition, offset } = delivery.message;
  list.push({ attempt: delivery.attempts, at: new Date(), error, topic, partition, offset });
}
