import type { Message as NativeMessage, TopicPartitionOffset } from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import type { ConsumerPort, PartitionRef } from "./consumer-port.js";
import { nativeConsumerPort, type NativeConsumerSetup } from "./native-consumer-port.js";
import type { LibrdkafkaProperties } from "./librdkafka-properties.js";

/**
 * The group settings a standby consumer leaves out: it never joins the group (it is assigned partitions
 * directly), must not take the member's place in it (group.instance.id), and commits nothing.
 */
const GROUP_ONLY_PROPERTIES = [
  "group.protocol",
  "group.remote.assignor",
  "group.instance.id",
  "partition.assignment.strategy",
  "session.timeout.ms",
  "heartbeat.interval.ms",
  "max.poll.interval.ms",
];

/**
 * Whether a group member's rebalances are incremental (the cooperative-sticky assignor, or the consumer
 * protocol of KIP-848): only then does a revocation leave the member partitions it keeps.
 */
export function isIncrementalGroup(properties: LibrdkafkaProperties): boolean {
  if (properties["group.protocol"] === "consumer") return true;
  return String(properties["partition.assignment.strategy"] ?? "").includes("cooperative-sticky");
}

/** librdkafka's standby consumer for the group member built from `setup`. */
export function nativeStandbyPort(setup: NativeConsumerSetup): ConsumerPort {
  return nativeConsumerPort(
    { ...setup, key: `${setup.key} (standby)`, properties: standbyProperties(setup.properties), statistics: false },
    { error: (error) => setup.logger.warn({ err: error }, "standby consumer error") },
  );
}

/** The properties of a member's standby consumer: the member's own, without group membership or commits. */
export function standbyProperties(properties: LibrdkafkaProperties): LibrdkafkaProperties {
  const standby: LibrdkafkaProperties = { ...properties, "enable.auto.commit": false, "statistics.interval.ms": 0 };
  for (const name of GROUP_ONLY_PROPERTIES) delete standby[name];
  return standby;
}

/**
 * How long after a release the standby goes on reading a kept partition the member has not caught up on
 * (librdkafka resumes a partition about a second after the release, measured here).
 */
const OVERLAP_MS = 10_000;

/** A kept partition read by the standby, until the member catches up on it. */
interface HandOver {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to hand out: what either reader brings below it was handed out already. */
  next: number;
  /** Where the standby began reading it: the member's own position when it was paused. */
  readonly start: number;
  /** The standby reads it (until the member caught up, or the overlap ended). */
  standbyReads: boolean;
  /** Where the member resumes: its pause position, or where the release moved it (`next` then). */
  memberResumesAt: number;
}

/**
 * Keeps the partitions a group member keeps flowing while one of its revocations waits for the
 * application, and while librdkafka resumes them after an incremental assignment.
 *
 * librdkafka pauses every partition of a member from the moment it hands the application a revocation
 * until the application gives the revoked partitions back (rd_kafka_assignment_pause, "incremental
 * rebalance", in rdkafka_cgrp.c), and resumes the kept ones about a second after that. So with
 * incremental rebalancing a handler still busy on a moving partition would stop the partitions that do
 * not move. A standby consumer — no group membership, no commits, connected beforehand — is assigned
 * the kept partitions from where the member stopped reading and fetches them meanwhile. On release the
 * member is moved (seek) to where the standby got to, and the standby goes on until the member's own
 * fetches catch up: per partition, whichever reader brings an offset first hands it out, and what the
 * other brings below it is dropped, so no message is handed out twice or skipped. Offsets are stored and
 * committed by the member as always. An incremental assignment pauses the member's partitions too, until
 * the assignment is taken (at once), and they sometimes resume only a second later: the standby bridges
 * that the same way, without a seek.
 *
 * Should the standby fail to connect or fetch, the member behaves as without it (its partitions wait).
 */
export class StandbyFetch {
  #ready: Promise<boolean> | undefined;
  readonly #handOvers = new Map<string, HandOver>();
  /** A revocation is held (between hold() and release()) and the standby reads for it. */
  #holding = false;
  /** After a release: when the standby stops reading partitions the member has not caught up on. */
  #overlapEnds = 0;
  #fetching: Promise<NativeMessage[]> | undefined;
  /** A fetch started by {@link fetchAhead}, until what it brought was handed on. */
  #fetchingAhead: Promise<void> | undefined;
  /** The member's fetch in flight when librdkafka paused its partitions: what it brings precedes the standby's. */
  #memberFetchAtPause: Promise<void> | undefined;
  /** The standby consumer has partitions assigned. */
  #assigned = false;

  constructor(
    private readonly port: ConsumerPort,
    private readonly logger: Logger,
  ) {}

  /** Connects in the background, so that a revocation later finds it ready. */
  connect(): void {
    this.#ready ??= this.port.connect().then(
      () => true,
      (err: unknown) => {
        this.logger.warn({ err }, "the standby consumer did not connect; kept partitions wait while librdkafka pauses them in a rebalance");
        return false;
      },
    );
  }

  /** Whether it reads partitions now (the session then fetches from it too). */
  get reading(): boolean {
    return this.#assigned;
  }

  /**
   * A revocation of `revoked` is held: read the member's other partitions, each from the member's
   * position (`positions`: the next offset it would have read), or from where the standby got to on one
   * still being handed over.
   */
  hold(positions: readonly TopicPartitionOffset[], revoked: readonly PartitionRef[], memberFetch: Promise<void> | undefined): void {
    this.#memberFetchAtPause = memberFetch;
    const gone = new Set(revoked.map((p) => key(p.topic, p.partition)));
    this.#holding = this.#read(
      positions.filter((p) => !gone.has(key(p.topic, p.partition))),
      "standby consumer reading the kept partitions while a revocation is held",
    );
  }

  /** Starts reading `kept` (see {@link hold}); false when there is nothing to read. */
  #read(kept: readonly TopicPartitionOffset[], reason: string): boolean {
    if (this.#ready === undefined) return false;
    const keptKeys = new Set(kept.map((p) => key(p.topic, p.partition)));
    for (const k of this.#handOvers.keys()) if (!keptKeys.has(k)) this.#handOvers.delete(k); // revoked
    for (const { topic, partition, offset } of kept) {
      const handOver = this.#handOvers.get(key(topic, partition));
      if (handOver !== undefined) handOver.standbyReads = true;
      else if (offset >= 0)
        this.#handOvers.set(key(topic, partition), {
          topic,
          partition,
          next: offset,
          start: offset,
          standbyReads: true,
          memberResumesAt: offset,
        });
    }
    if (this.#handOvers.size === 0) return false;
    void this.#ready.then((ready) => (ready ? this.#assign(reason) : this.#abandon()));
    return true;
  }

  /**
   * The revocation is released: moves the member (`seek`) to where the standby got to on each kept
   * partition it read, before librdkafka resumes them. The standby reads on until the member caught up.
   */
  async release(seek: (topic: string, partition: number, offset: number) => Promise<void>): Promise<void> {
    if (!this.#holding) return;
    this.#holding = false;
    this.#overlapEnds = Date.now() + OVERLAP_MS;
    const moved = [...this.#handOvers.values()].filter((h) => h.next > h.start);
    if (moved.length > 0)
      this.logger.info(
        { partitions: moved.map(({ topic, partition, next }) => ({ topic, partition, offset: next })) },
        "revocation released; the member goes on from where the standby consumer got to",
      );
    await Promise.all(
      moved.map((h) => {
        const to = h.next;
        return seek(h.topic, h.partition, to).then(
          () => (h.memberResumesAt = to),
          (err: unknown) =>
            // The member then resumes where it paused and hands out nothing below `next` (filtered):
            // slower to catch up, never twice.
            this.logger.warn(
              { err, topic: h.topic, partition: h.partition, offset: to },
              "moving a kept partition to where the standby consumer got to failed",
            ),
        );
      }),
    );
  }

  /**
   * An incremental assignment: librdkafka paused the member's partitions (`positions`) until the
   * assignment was taken, and resumes them now, sometimes only about a second later. The standby reads
   * them from the member's positions meanwhile, until the member caught up (no seek: the member resumes
   * where it paused).
   */
  bridge(positions: readonly TopicPartitionOffset[], memberFetch: Promise<void> | undefined): void {
    if (this.#holding) return; // a revocation is held: the standby reads them already
    this.#memberFetchAtPause = memberFetch;
    if (this.#read(positions, "standby consumer reading the kept partitions after an incremental assignment"))
      this.#overlapEnds = Date.now() + OVERLAP_MS;
  }

  /**
   * While it reads: starts a fetch unless one is in flight; what it brings goes to `push` (after the
   * member's fetch in flight at the pause, whose messages come first), then `done` is called.
   */
  fetchAhead(max: number, push: (batch: NativeMessage[]) => void, done: () => void): void {
    if (!this.#assigned || this.#fetchingAhead !== undefined) return;
    this.#fetchingAhead = (async () => {
      try {
        await this.#memberFetchAtPause;
        push(await this.fetch(max));
      } catch (err) {
        this.logger.warn({ err }, "handing out the standby consumer's messages failed");
      }
    })().finally(() => {
      this.#fetchingAhead = undefined;
      done();
    });
  }

  /** Resolves once no fetch started by {@link fetchAhead} is in flight. */
  async idle(): Promise<void> {
    while (this.#fetchingAhead !== undefined) await this.#fetchingAhead;
  }

  /** The standby's next messages of the kept partitions: only those not handed out yet. */
  async fetch(max: number): Promise<NativeMessage[]> {
    if (!this.#holding && Date.now() > this.#overlapEnds) this.#endOverlap();
    if (!this.reading || this.#fetching !== undefined || !(await this.#ready)) return [];
    this.#fetching = this.port.consume(max);
    try {
      return this.#admit(await this.#fetching, "standby");
    } catch (err) {
      this.logger.warn({ err }, "the standby consumer's fetch failed; the member reads its partitions alone");
      this.#stopReading();
      return [];
    } finally {
      this.#fetching = undefined;
    }
  }

  /** The member's fetched messages, without those the standby handed out already. */
  admitMember(batch: NativeMessage[]): NativeMessage[] {
    if (this.#handOvers.size === 0) return batch;
    const admitted = this.#admit(batch, "member");
    if (this.#handOvers.size === 0) this.#stopReading();
    return admitted;
  }

  /**
   * The messages of `batch`, from the standby or the member, to hand out: each offset once, whichever
   * reader brings it first. The standby's pass only on a partition it reads, from `next` on. The member's
   * pass on a partition without a hand-over, and below `start` (read before it was paused); from `start`
   * to `next` they are repeats of the standby's; one at or past `next` ends the hand-over: the member
   * caught up, and the partition is its alone from then on.
   */
  #admit(batch: NativeMessage[], from: "standby" | "member"): NativeMessage[] {
    const member = from === "member";
    let last: NativeMessage | undefined;
    let k = "";
    return batch.filter((message) => {
      // A fetch returns runs of one partition: make the key once per run.
      if (last === undefined || message.partition !== last.partition || message.topic !== last.topic)
        k = key(message.topic, message.partition);
      last = message;
      const handOver = this.#handOvers.get(k);
      if (handOver === undefined) return member;
      if (member ? message.offset < handOver.start : !handOver.standbyReads) return member;
      if (message.offset < handOver.next) return false;
      if (member) this.#handOvers.delete(k);
      else handOver.next = message.offset + 1;
      return true;
    });
  }

  #assign(reason: string): void {
    const reading = [...this.#handOvers.values()].filter((h) => h.standbyReads);
    if (reading.length === 0) return;
    try {
      this.port.assign(reading.map(({ topic, partition, next }) => ({ topic, partition, offset: next })));
      this.#assigned = true;
      this.logger.info({ partitions: reading.map(({ topic, partition, next }) => ({ topic, partition, offset: next })) }, reason);
    } catch (err) {
      this.logger.warn({ err }, "the standby consumer could not take the kept partitions");
      this.#stopReading();
    }
  }

  /**
   * The overlap after a release is over: the standby stops, and the partitions it read nothing of since
   * the release are the member's alone (it resumes where the standby stopped); the others stay filtered
   * until the member caught up.
   */
  #endOverlap(): void {
    this.#stopReading();
    for (const [k, handOver] of this.#handOvers) if (handOver.next === handOver.memberResumesAt) this.#handOvers.delete(k);
  }

  /** The standby did not connect: the kept partitions wait for the release, as without it. */
  #abandon(): void {
    this.#handOvers.clear();
    this.#holding = false;
  }

  /** The standby reads nothing more; the member's messages are still filtered until it caught up. */
  #stopReading(): void {
    for (const handOver of this.#handOvers.values()) handOver.standbyReads = false;
    if (!this.#assigned) return;
    this.#assigned = false;
    try {
      this.port.unassign([]);
    } catch (err) {
      this.logger.debug({ err }, "the standby consumer's unassign failed");
    }
  }

  async close(): Promise<void> {
    this.#handOvers.clear();
    if (await this.#ready) await this.port.disconnect();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
