import type { ConsumerGroup, Message } from "../src/index.js";
import type { BatchDelivery, MessageDelivery } from "./context.js";

/** The part of a ConsumerGroup the engine uses: a fake of it drives the engine in unit tests. */
export type PollingGroup = Pick<ConsumerGroup, "pollBatch" | "storeOffsets" | "pause" | "resume" | "close">;

/**
 * One source of messages of the consume engine: a consumer group and what is special about its records.
 * The server's topics are one; with retry tiers, the retry topics (read by the group `<groupID>.retry`)
 * are another, read by the same engine through the same pipeline.
 */
export interface Subscription {
  /** Named in log lines: "topics", "retry topics". */
  readonly name: string;
  readonly group: PollingGroup;
  /** The topics it reads, which tell the engine whose a message is (empty for a topicRegex). */
  readonly topics: readonly string[];
  /**
   * When a record becomes due (ms since the epoch), or undefined when it is due now. A subscription
   * that has this is handled in lanes: a record not due yet waits at the head of its partition, which
   * stays paused meanwhile, holding up nothing else.
   */
  dueAt?(message: Message): number | undefined;
  /** Makes a delivery of this subscription what its records say it is (a retry record: its tier and attempts so far). */
  prepare?(delivery: MessageDelivery | BatchDelivery): void;
}
