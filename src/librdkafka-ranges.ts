// The values librdkafka accepts for the properties our typed keys set (librdkafka 2.x, rdkafka_conf.c).
// The mapping table checks against them, and Go-accepted values outside them are brought inside
// (go-values.ts) before that check, with a warning.

/** The largest value of a librdkafka integer property. */
export const INT32_MAX = 2_147_483_647;

/** librdkafka property → [smallest, largest] value it accepts. */
export const LIBRDKAFKA_RANGES = {
  "message.send.max.retries": [0, INT32_MAX],
  "batch.num.messages": [1, 1_000_000],
  "batch.size": [1, INT32_MAX],
  "linger.ms": [0, 900_000],
  "socket.timeout.ms": [10, 300_000],
  "message.timeout.ms": [1, INT32_MAX],
  "fetch.min.bytes": [1, 100_000_000],
  "max.partition.fetch.bytes": [1, 1_000_000_000],
  "fetch.wait.max.ms": [0, 300_000],
  "auto.commit.interval.ms": [0, 86_400_000],
  "heartbeat.interval.ms": [1, 3_600_000],
  "session.timeout.ms": [1, 3_600_000],
  "max.poll.interval.ms": [1, 86_400_000],
  "topic.metadata.refresh.interval.ms": [-1, 3_600_000],
  "retry.backoff.ms": [1, 300_000],
  "fetch.error.backoff.ms": [0, 300_000],
  "retry.backoff.max.ms": [1, 300_000],
  "statistics.interval.ms": [0, 86_400_000],
  "transaction.timeout.ms": [1000, INT32_MAX],
} as const satisfies Record<string, readonly [number, number]>;

/** A librdkafka property with a known range. */
export type RangedProperty = keyof typeof LIBRDKAFKA_RANGES;
