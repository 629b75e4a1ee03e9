import type { Latency } from "../result.js";
import { nowMs } from "../timing.js";

/** Bytes of each latency message: its send time, padded to the produce rows' small size. */
export const LATENCY_VALUE_BYTES = 100;

/** A message value carrying the time it is being written. */
export function stampedValue(): Buffer {
  const value = Buffer.alloc(LATENCY_VALUE_BYTES, 65);
  value.writeDoubleLE(nowMs(), 0);
  return value;
}

/** Collects the write-to-handler time of each message written at or after `from`. */
export class LatencySamples {
  /** Send time (epoch ms) from which samples count; earlier ones are warm-up. */
  from = Infinity;
  received = 0;
  readonly #values: number[] = [];

  onValue(value: Buffer): void {
    this.received++;
    const sent = value.readDoubleLE(0);
    if (sent >= this.from) this.#values.push(nowMs() - sent);
  }

  summary(): Latency {
    const sorted = [...this.#values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
    return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN, samples: sorted.length };
  }
}
