import type { Assignment, LibrdKafkaError, TopicPartitionOffset } from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import type { ConsumerPort } from "./consumer-port.js";
import { ErrorCodes, toKafkaError, type KafkaError } from "./errors.js";
import { AssignedPartitions, type RevokedPartitions, type TopicPartition } from "./events.js";
import { toTopicPartition } from "./native-message.js";
import type { OffsetLedger } from "./offset-ledger.js";
import { RevocationHandshake } from "./revocation.js";
import type { StandbyFetch } from "./standby-fetch.js";

/** What a {@link SessionRebalance} works with: the session's native consumer, ledger and queue. */
export interface SessionRebalanceSetup {
  key: string;
  port: ConsumerPort;
  ledger: OffsetLedger;
  /** Queues an event for the application. */
  push(event: AssignedPartitions | RevokedPartitions | KafkaError): void;
  /** The standby consumer of incremental rebalancing; undefined when rebalances are eager or revocations do not wait. */
  standby: StandbyFetch | undefined;
  /** Whether a revocation waits for the application (see {@link RevocationHandshake}). */
  deferRevocation: boolean;
  logger: Logger;
  /** Whether the session is closing: the standby is left alone then. */
  closing(): boolean;
  /** The member's fetch in flight, which the standby's first fetch waits for. */
  fetching(): Promise<void> | undefined;
  /** The member's read position of each assigned partition. */
  positions(): TopicPartitionOffset[];
}

/**
 * Serves the group's rebalance callback for a session: an assignment is taken on and announced; a
 * revocation goes through the {@link RevocationHandshake}, and with incremental rebalancing the
 * {@link StandbyFetch} reads the partitions kept while librdkafka pauses them.
 */
export class SessionRebalance {
  readonly revocations: RevocationHandshake;

  constructor(private readonly setup: SessionRebalanceSetup) {
    this.revocations = new RevocationHandshake({
      ledger: setup.ledger,
      push: (event) => setup.push(event),
      unassign: (partitions) => this.unassign(partitions),
      deferred: setup.deferRevocation,
      logger: setup.logger,
    });
  }

  /** librdkafka's rebalance callback. */
  onRebalance(err: LibrdKafkaError, assignment: Assignment[]): void {
    try {
      if (err.code === ErrorCodes.ERR__ASSIGN_PARTITIONS) this.onAssign(assignment);
      else if (err.code === ErrorCodes.ERR__REVOKE_PARTITIONS) this.onRevoke(assignment);
      else this.setup.push(this.setup.port.error(err, "rebalance"));
    } catch (error) {
      this.setup.push(toKafkaError(error, "rebalance", this.setup.key));
    }
  }

  /** The standby, unless there is none or the session is closing. */
  private get standby(): StandbyFetch | undefined {
    return this.setup.closing() ? undefined : this.setup.standby;
  }

  /**
   * librdkafka paused every partition of the member when it handed over this assignment; with
   * incremental rebalancing the standby reads the ones held before until the member caught up.
   */
  private onAssign(assignment: Assignment[]): void {
    const standby = this.standby;
    const kept = standby === undefined ? [] : this.setup.positions(); // before the assignment grows
    this.setup.port.assign(assignment);
    this.setup.ledger.assign(assignment);
    this.setup.push(new AssignedPartitions(assignment.map(toTopicPartition)));
    if (kept.length > 0) standby!.bridge(kept, this.setup.fetching());
  }

  /**
   * librdkafka paused every partition of the member when it handed over this revocation; the standby
   * fetches the partitions kept until the revocation is released (see {@link StandbyFetch}).
   */
  private onRevoke(assignment: Assignment[]): void {
    this.revocations.revoke(assignment);
    const standby = this.standby;
    if (standby === undefined || !this.revocations.holding) return;
    standby.hold(this.setup.positions(), assignment, this.setup.fetching());
  }

  /**
   * Gives revoked partitions back. First each kept partition the standby read is moved to where it got
   * to: librdkafka resumes them from there, instead of from where it paused them.
   */
  private async unassign(partitions: TopicPartition[]): Promise<void> {
    const { port } = this.setup;
    const standby = this.standby;
    // Without a standby the unassign stays synchronous: close() relies on it preceding the disconnect.
    if (standby !== undefined) await standby.release((topic, partition, offset) => port.seek(topic, partition, offset));
    try {
      port.unassign(partitions.map(({ topic, partition }) => ({ topic, partition })));
    } catch (err) {
      if (port.isConnected()) this.setup.logger.warn({ err }, "unassign failed");
    }
  }
}
