/** A partition of a topic, with the offset the event refers to (-1001 when none is known yet). */
export interface TopicPartition {
  /** The topic the partition belongs to. */
  topic: string;
  /** The partition's id within the topic. */
  partition: number;
  /** The offset the event refers to; -1001 (librdkafka's "invalid offset") when none is known yet. */
  offset: number;
}

/**
 * Delivered by `ConsumerGroup.poll()` once each time the group hands this member partitions.
 * Tell it apart from the other events with `instanceof`.
 */
export class AssignedPartitions {
  constructor(
    /**
     * With the default eager protocol, this member's whole new assignment (it replaces the one a
     * RevokedPartitions ended). With incremental rebalancing (`groupProtocol = "consumer"` or
     * `assignmentStrategy = "cooperative-sticky"`), only the partitions added: the others stay assigned.
     */
    readonly partitions: TopicPartition[],
  ) {}
}

/**
 * Delivered by `ConsumerGroup.poll()` once when an assignment ends (a rebalance takes the partitions
 * away, or the member leaves the group). With the default eager protocol a rebalance revokes every
 * partition; with incremental rebalancing (`groupProtocol = "consumer"` or `assignmentStrategy =
 * "cooperative-sticky"`) it names only the partitions that move, and the others keep being read —
 * also while the revocation is held (`poll({ releaseRevoked: false })`): librdkafka pauses them then,
 * and the member's standby consumer reads them meanwhile (see `src/standby-fetch.ts`).
 *
 * The partitions stay with this member until it is done with them: call {@link RevokedPartitions.release | release()} once the work
 * of these partitions is finished and stored, or just poll again (the next `poll()` releases them
 * first, unless it passes `releaseRevoked: false`). Either way the offsets stored for them are committed before the partitions go to their next
 * owner; the group's rebalance waits meanwhile, so do not keep them long.
 */
export class RevokedPartitions {
  readonly #release: () => Promise<void>;

  /** @param release what {@link RevokedPartitions.release | release()} does; the consumer group gives it */
  constructor(
    /** The partitions whose assignment ended. */
    readonly partitions: TopicPartition[],
    release: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.#release = release;
  }

  /**
   * Says "done with these partitions": commits the offsets stored for them and lets the group have
   * them. Resolves once released; calling it again (or polling after it) does nothing more.
   */
  release(): Promise<void> {
    return this.#release();
  }
}
