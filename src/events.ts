/** A partition of a topic, with the offset the event refers to (-1001 when none is known yet). */
export interface TopicPartition {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * Delivered by `ConsumerGroup.poll()` once each time the group hands this member partitions.
 * Tell it apart from the other events with `instanceof`.
 */
export class AssignedPartitions {
  constructor(readonly partitions: TopicPartition[]) {}
}

/**
 * Delivered by `ConsumerGroup.poll()` once when an assignment ends (a rebalance takes the partitions
 * away, or the member leaves the group). Offsets stored for these partitions are committed before the
 * partitions are released.
 */
export class RevokedPartitions {
  constructor(readonly partitions: TopicPartition[]) {}
}
