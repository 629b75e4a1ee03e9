import type { Assignment, LibrdKafkaError, Message as NativeMessage, TopicPartitionOffset } from "@confluentinc/kafka-javascript";
import type { KafkaError } from "./errors.js";
import type { CommittedOffset, PartitionOffset } from "./offset-ledger.js";

/** A partition, as the native client takes it in pause and resume. */
export interface PartitionRef {
  topic: string;
  partition: number;
}

/** What the native client calls back into a session with. */
export interface ConsumerPortHooks {
  /** A group member's rebalance (librdkafka's ERR__ASSIGN_PARTITIONS / ERR__REVOKE_PARTITIONS, or an error). */
  rebalance?: (err: LibrdKafkaError, assignment: Assignment[]) => void;
  /** An error the client raised outside any call that the application must see (the rest are logged). */
  error: (error: KafkaError) => void;
}

/**
 * Every native call a {@link ConsumerSession} makes, in the session's own terms: the seam between the
 * session's logic (connection, revocation handshake, fetch loop) and librdkafka. The real one is
 * {@link nativeConsumerPort}; unit tests drive a session through a fake of this interface.
 */
export interface ConsumerPort {
  /**
   * Connects.
   * @throws ConfigError when librdkafka refuses the configuration (it never will accept it)
   * @throws KafkaError when the brokers do not answer or refuse the client
   */
  connect(): Promise<void>;
  isConnected(): boolean;
  subscribe(topics: string[]): void;
  /** Takes these partitions: the whole assignment (eager protocol), or what is added to it (cooperative, KIP-848). */
  assign(partitions: Assignment[]): void;
  /** Gives these partitions back: all (eager protocol), or only these (cooperative, KIP-848). */
  unassign(partitions: Assignment[]): void;
  /** Up to `max` messages, waiting a little for the first one; resolves to [] when none came. */
  consume(max: number): Promise<NativeMessage[]>;
  /** Hands next offsets to librdkafka's store (committed in the background). */
  store(offsets: PartitionOffset[]): void;
  /** Commits these offsets, or every stored one (null). */
  commit(offsets: PartitionOffset[] | null): Promise<void>;
  committed(partitions: PartitionRef[]): Promise<CommittedOffset[]>;
  seek(topic: string, partition: number, offset: number): Promise<void>;
  /** The cached watermarks of a partition. @throws when librdkafka has none yet */
  watermarks(topic: string, partition: number): { low: number; high: number };
  queryWatermarks(topic: string, partition: number): Promise<{ low: number; high: number }>;
  offsetsForTimes(offsets: TopicPartitionOffset[]): Promise<TopicPartitionOffset[]>;
  /** @throws when the client is not connected */
  position(): TopicPartitionOffset[];
  pause(partitions: PartitionRef[]): void;
  resume(partitions: PartitionRef[]): void;
  /** Runs librdkafka's close (revoking what is left, leaving the group); nothing when never connected. */
  disconnect(): Promise<void>;
  /** The native consumer itself, which a transactional producer sends offsets with (its group metadata). */
  groupHandle(): unknown;
  /** The KafkaError for a failed native call of `operation`, with the last broker failure appended. */
  error(err: unknown, operation: string): KafkaError;
}
