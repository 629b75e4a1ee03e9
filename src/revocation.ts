import type { Assignment } from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import { RevokedPartitions, type TopicPartition } from "./events.js";
import { toTopicPartition } from "./native-message.js";
import type { OffsetLedger } from "./offset-ledger.js";

/** A revocation whose partitions wait for the application before they are released. */
interface Revocation {
  readonly partitions: TopicPartition[];
  /** The RevokedPartitions event was handed out: the next take releases, unless `release()` did. */
  delivered: boolean;
  released: Promise<void> | undefined;
}

/** What the handshake acts on. */
export interface RevocationSetup {
  ledger: OffsetLedger;
  /** Hands the RevokedPartitions event to the application. */
  push(event: RevokedPartitions): void;
  /** Gives the partitions back to the group (librdkafka's unassign; with incremental rebalancing, only these). */
  unassign(partitions: TopicPartition[]): Promise<void> | void;
  /**
   * Whether a revocation waits for the application (ConsumerGroup: it sees the RevokedPartitions event,
   * finishes its work, then calls `release()` or polls again) or completes at once (Consumer).
   */
  deferred: boolean;
  logger: Logger;
}

/**
 * The revocation handshake of a group member: revoked partitions stay with it until the application is
 * done with them, their stored offsets are committed, and only then are they given back to the group.
 * At most one revocation is pending (librdkafka waits for it before the next rebalance step).
 */
export class RevocationHandshake {
  private pending: Revocation | undefined;
  /**
   * Set once the stored offsets were committed on close and librdkafka's own close runs: from then on a
   * revocation is released without committing (the client no longer takes commits). Until then (while
   * closing waits for a fetch in flight, say) a revocation caused by another member commits first, as
   * at any other time: releasing it would drop offsets handled but not yet flushed.
   */
  private leaving = false;

  constructor(private readonly setup: RevocationSetup) {}

  /** The group takes these partitions away (librdkafka's ERR__REVOKE_PARTITIONS). */
  revoke(assignment: Assignment[]): void {
    // Nothing more is handed out for these partitions: messages of theirs still in flight are dropped
    // (never stored), so their next owner reads them again from the last stored offset.
    this.setup.ledger.revoke(assignment);
    const partitions = assignment.map(toTopicPartition);
    const revocation: Revocation = { partitions, delivered: false, released: undefined };
    this.pending = revocation;
    this.setup.push(new RevokedPartitions(partitions, () => this.complete(revocation)));
    // Leaving, the stored offsets were committed before disconnecting, and the client no longer takes
    // commits: release at once. (A deferred revocation met while closing is committed by leave().)
    if (this.leaving) void this.release(revocation);
    else if (!this.setup.deferred) void this.complete(revocation);
  }

  /** A revocation waits for the application (not yet released, and not closing). */
  get holding(): boolean {
    return this.pending !== undefined && this.setup.deferred && !this.leaving;
  }

  /** The pending revocation's event was handed to the application. */
  delivered(): void {
    if (this.pending !== undefined) this.pending.delivered = true;
  }

  /** A revocation the application saw and did not release itself is released when it asks for more. */
  async releaseDelivered(): Promise<void> {
    const revocation = this.pending;
    if (revocation?.delivered) await this.complete(revocation);
  }

  /**
   * Closing: the stored offsets were committed; a pending revocation is released without another
   * commit, and so is every revocation from now on.
   */
  leave(): void {
    this.leaving = true;
    if (this.pending !== undefined) void this.release(this.pending);
  }

  /** Commits the revoked partitions' stored offsets, then releases them; once per revocation. */
  private complete(revocation: Revocation): Promise<void> {
    revocation.released ??= (async () => {
      try {
        if (this.pending === revocation && !this.leaving) await this.setup.ledger.commitStored();
      } catch (err) {
        // The partitions go anyway: the group waits for them. Their next owner reads from the last commit.
        this.setup.logger.warn({ err }, "commit on revocation failed");
      }
      await this.release(revocation);
    })();
    return revocation.released;
  }

  private release(revocation: Revocation): Promise<void> | void {
    revocation.released ??= Promise.resolve();
    if (this.pending !== revocation) return;
    this.pending = undefined;
    this.setup.ledger.release(revocation.partitions);
    return this.setup.unassign(revocation.partitions);
  }
}
