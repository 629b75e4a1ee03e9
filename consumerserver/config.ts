import { decode, defineSchema, type Decoded, type Warn } from "../src/core/index.js";

/**
 * The `[kafkaConsumerServers.<name>]` tree, as in Go ekafka (keys match ignoring case), plus two keys of
 * our own. The names refer to entries of the `[kafka]` tree of the component given with `withEkafka`.
 */
export const consumerServerSchema = defineSchema({
  debug: { type: "boolean", default: false, doc: "Log one line per handled message (topic, partition, offset, time taken)." },
  consumerName: {
    type: "string",
    doc:
      "The `kafka.consumers.<name>` entry `onEachMessage`, `onEachBatch` and `onStart` read with, with its settings " +
      "(groupID, commitInterval, startOffset …), as in Go.",
  },
  consumerGroupName: {
    type: "string",
    doc:
      "The `kafka.consumerGroups.<name>` entry `onConsumerGroupStart` uses; `onEachMessage` / `onEachBatch` use it too " +
      "when `consumerName` is not set (beyond the Go original).",
  },
  deadLetterProducer: {
    type: "string",
    doc:
      "A `kafka.producers.<name>` entry: messages whose handling failed for good are written there instead of " +
      "stopping the server (its topic, else `<original topic>.DLT`). Beyond the Go original; same as withDeadLetter().",
  },
  batchSize: {
    type: "number",
    integer: true,
    min: 1,
    default: 500,
    doc: "`onEachBatch`: the most messages of one partition handed to one handler call. Beyond the Go original.",
  },
  batchWait: {
    type: "duration",
    default: 0,
    doc:
      "`onEachBatch`: how long to wait for more messages when fewer than batchSize were fetched (0: hand over what one " +
      "fetch returned). Beyond the Go original.",
  },
  partitionConcurrency: {
    type: "boolean",
    default: false,
    doc: "Handle partitions in parallel, each partition in order. Beyond the Go original; same as withPartitionConcurrency().",
  },
  ordering: {
    type: "enum",
    values: ["partition", "key", "unordered"],
    default: "partition",
    doc:
      "`onEachMessage`: which messages may be handled at the same time. `partition`: one message of a partition at a time, in " +
      "offset order. `key`: messages with the same key one at a time, in offset order (messages without a key: per " +
      "partition); different keys at once. `unordered`: any message as soon as a slot is free. Offsets are committed up to " +
      "the first message not done. `onEachBatch` takes `partition` only. Beyond the Go original.",
  },
  concurrency: {
    type: "number",
    integer: true,
    min: 1,
    default: 1,
    doc:
      'Messages (batches) in flight at once for the whole server. 1: one at a time, as in Go. With `ordering = "partition"` ' +
      "at most one per partition (`partitionConcurrency = true`: one per partition, as many partitions as are assigned). " +
      "Beyond the Go original.",
  },
  maxQueued: {
    type: "number",
    integer: true,
    min: 1,
    default: 1000,
    doc:
      "Messages fetched and not yet handled that the server holds, waiting or in flight, with `concurrency` above 1 or " +
      "`partitionConcurrency`; above it the server stops fetching until it is under it again. Beyond the Go original.",
  },
  maxQueuedPerPartition: {
    type: "number",
    integer: true,
    min: 1,
    default: 1000,
    doc:
      "Of those, the most of one partition: above it that partition is paused, and resumed once half of them are done. " +
      "Beyond the Go original.",
  },
  inPlaceRetries: {
    type: "number",
    integer: true,
    min: 0,
    doc:
      "How many times a recoverable handler failure is retried in place, holding up its partition, before the message " +
      "moves on (to the first retry tier, the dead-letter topic, or the server stops). Default 3 without retryDelays " +
      "(Go's behaviour) and 0 with them (a failure goes to tier 1 at once). withRetry({ attempts }) in code wins. Beyond the Go original.",
  },
  retryDelays: {
    type: "stringList",
    default: [],
    doc:
      'Retry tiers: how long a failed message waits in each tier (Go durations), e.g. ["1s", "10s", "1m"]. A recoverable ' +
      "failure moves the message to the first tier's retry topic and the partition goes on; empty (the default) keeps " +
      "retrying in place (inPlaceRetries), blocking the partition. Beyond the Go original.",
  },
  transactionalProducer: {
    type: "string",
    doc:
      "Exactly-once: a `kafka.producers.<name>` entry with a transactionalID. Each message is handled inside a transaction " +
      "of that producer (the handler writes through `ctx.producer`), and its offset is committed by the same transaction. " +
      'onEachMessage with ordering = "partition", concurrency = 1, no retryDelays. See the README\'s exactly-once section. Beyond the Go original.',
  },
  transactionInterval: {
    type: "duration",
    default: 100,
    doc:
      "With transactionalProducer: how long a transaction stays open, across fetch rounds, before it is committed with " +
      "its messages' offsets (also committed before a revocation is handed on, and on stop). Kafka Streams' " +
      "commit.interval.ms under exactly_once_v2, with its default. Beyond the Go original.",
  },
  retryProducer: {
    type: "string",
    doc: "The `kafka.producers.<name>` entry retry-tier records are written with (default: deadLetterProducer). Beyond the Go original.",
  },
  retryTopicFormat: {
    type: "string",
    default: "{topic}.retry.{n}",
    doc: "The name of tier n's retry topic for a topic; must contain {topic} and {n}. Beyond the Go original.",
  },
  retryNonRecoverable: {
    type: "boolean",
    default: false,
    doc:
      "Send errors that are not recoverable through the retry tiers too; by default they skip the remaining tiers and go " +
      "to the dead-letter topic at once. Beyond the Go original.",
  },
});

/**
 * The decoded `[kafkaConsumerServers.<name>]` tree: durations in milliseconds, names not set (or empty)
 * `undefined`.
 *
 * @interface
 */
export type ConsumerServerConfig = Decoded<typeof consumerServerSchema>;

/**
 * Decodes one server's tree. Unknown keys are warned about, not rejected, so an old file keeps loading.
 * @param raw the tree, e.g. `config.get("kafkaConsumerServers.s1")`; undefined gives the defaults
 * @param key where it sits, named in every error and warning
 * @throws ConfigError naming the key, what was expected and what was found
 */
export function decodeConsumerServerConfig(raw: unknown, key: string, warn?: Warn): ConsumerServerConfig {
  const decoded = decode(raw, consumerServerSchema, key, warn);
  // An empty name is the Go loader's zero value: "not set".
  for (const field of ["consumerName", "consumerGroupName", "deadLetterProducer", "retryProducer", "transactionalProducer"] as const) {
    if (decoded[field]?.trim() === "") decoded[field] = undefined;
  }
  return decoded;
}
