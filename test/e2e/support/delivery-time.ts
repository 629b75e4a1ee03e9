// When the fault proxy (fault-proxy.ts) may deliver a chunk: a delay added to a byte stream must not
// reorder it, so when the latency drops, later chunks wait for the earlier ones.

/**
 * The time at which a chunk read at `now` is forwarded: `latencyMs` later, but never before the
 * chunk read before it (`previousDelivery`). Times in milliseconds; a negative latency counts as none.
 */
export function deliveryTime(now: number, latencyMs: number, previousDelivery: number): number {
  return Math.max(now + Math.max(0, latencyMs), previousDelivery);
}
