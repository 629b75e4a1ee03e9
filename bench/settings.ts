// What `make bench` measures and how much of it: every contender in a row gets the same settings and the
// same message count. Sized so the whole run stays under ~10 minutes on a 2-core machine that also runs
// the 3 brokers.

/** BENCH_SCALE=0.1 runs a tenth of every count (a quick trial); the table is then not comparable. */
export const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const scaled = (count: number) => Math.max(1000, Math.round(count * SCALE));

/** The local cluster of kafka/cluster.sh. */
export const BROKERS = ["127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093"];

/** Compression codecs in the order of ekafka's `compression` codes (0..4). */
export const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type Codec = (typeof CODECS)[number];

/** Value sizes of the produce rows, and how many messages each produce run writes. */
export const PRODUCE_ROWS: ReadonlyArray<{ size: number; count: number }> = [
  { size: 100, count: scaled(200_000) },
  { size: 1024, count: scaled(50_000) },
];

/**
 * The sequential produce rows: one `await writeMessages(...)` after the other, of `perCall` 100-byte
 * messages, `calls` times (the pattern most services use; every call waits for its acknowledgements).
 */
export const SEQUENTIAL_ROWS: ReadonlyArray<{ perCall: number; calls: number }> = [
  { perCall: 1, calls: Math.max(100, Math.round(2_000 * SCALE)) },
  { perCall: 1000, calls: Math.max(10, Math.round(100 * SCALE)) },
];

/**
 * Messages per write call (writeMessages, a raw chunk, KafkaJS send) and calls in flight: every JS
 * contender keeps the same window of unacknowledged messages, so the comparison measures the client,
 * not how much each is allowed to queue.
 */
export const WRITE_CHUNK = 1000;
export const WRITES_IN_FLIGHT = 32;

/** Each produce contender runs this many times per row and keeps its best (other work on a shared machine only slows runs down). */
export const PRODUCE_REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

/** Producer settings every contender gets (librdkafka names; KafkaJS batches per send call instead). */
export const PRODUCER = { acks: -1, lingerMs: 5, batchMessages: 10_000, batchBytes: 1_048_576 } as const;

/** Messages (of CONSUME_SIZE bytes) each consume run reads from the same pre-filled topic. */
export const CONSUME_COUNT = scaled(200_000);
export const CONSUME_SIZE = 100;
/**
 * Each compared consume contender runs this many times and keeps its best run, the order turning each
 * round: a single run measured whoever went first against a cluster still busy with the fill.
 */
export const CONSUME_REPEAT = Number(process.env.BENCH_CONSUME_REPEAT ?? 3);
/** Messages (of CONSUME_SIZE bytes) the consume-transform-produce rows copy, at-least-once and exactly-once, one run each. */
export const EOS_COUNT = scaled(50_000);
/** A consume run that has not read everything by then is reported as failed (bounds the whole run). */
export const CONSUME_TIMEOUT_MS = 180_000;

/** The latency runs: a fixed rate for a fixed time, after a warm-up whose samples are discarded. */
export const LATENCY = { rate: 1000, seconds: Math.max(2, Math.round(10 * SCALE)), warmupSeconds: 1 } as const;

/** Round trips Kafka's EndToEndLatency makes for the floor row (one message at a time). */
export const FLOOR_LATENCY_MESSAGES = Math.max(200, Math.round(2_000 * SCALE));

/** Messages the schema registry rows write (Avro, then bytes) and read back, one run each. */
export const SCHEMA_REGISTRY_COUNT = scaled(100_000);

/** Consumer settings every contender gets. */
export const CONSUMER = { maxWaitMs: 500, commitIntervalMs: 1000, maxBytesPerPartition: 1_048_576 } as const;

/** Every topic the bench creates starts with this (and is deleted at the end). */
export const TOPIC_PREFIX = "ekafka-bench-";

/** A run's topics and groups get this suffix, so runs never share state. */
export const RUN_ID = Date.now().toString(36);

let groups = 0;
/** A consumer group id of this run not used before: each consume run reads the topic from its start. */
export function freshGroupId(purpose: string): string {
  groups += 1;
  return `${TOPIC_PREFIX}${purpose}-${RUN_ID}-${groups}`;
}

/**
 * The rolling-restart rows: 3 Consumer Server processes on 6 partitions, `perPartitionRate` messages/s
 * written to each partition; 1 message in `slowEvery` (by offset) takes `slowMs` to handle; after each
 * restart the bench waits `settleMs` past the restarted member's first message before the next.
 */
export const ROLLING = { partitions: 6, perPartitionRate: 30, slowEvery: 100, slowMs: 1000, settleMs: 4000 } as const;
