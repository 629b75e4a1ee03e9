/** One contender's measurement in one row of the table. */
export interface Throughput {
  /** Messages per second. */
  rate: number;
  /** Value bytes per second, in MiB (2^20 bytes). */
  mibPerSec: number;
  messages: number;
  seconds: number;
}

/** End-to-end latency percentiles, in milliseconds. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** A contender's outcome: a measurement, or why there is none (e.g. KafkaJS has no zstd codec built in). */
export type Outcome<T> = { ok: T } | { skipped: string };

export function throughput(messages: number, seconds: number, size: number): Throughput {
  const rate = messages / seconds;
  return { rate, mibPerSec: (rate * size) / 1_048_576, messages, seconds };
}
