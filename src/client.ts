import type {
  IAdminClient,
  LibrdKafkaError,
  ListOffsetsResult,
  TopicDescription,
  TopicPartitionOffset,
} from "@confluentinc/kafka-javascript";
import { Intercepted, type CallSite } from "./call.js";
import { ClosedError, ErrorCodes, toKafkaError } from "./errors.js";
import type { Interceptor } from "./interceptors.js";
import type { LibrdkafkaProperties } from "./librdkafka-properties.js";
import {
  callback,
  connectClient,
  disconnectClient,
  failFast,
  FailureLog,
  isUnrecoverable,
  native,
  nativeAdmin,
  nativeConsumer,
  type LogEvent,
} from "./rdkafka.js";

/** A topic to create. */
export interface TopicSpec {
  /** The name of the topic to create. */
  topic: string;
  /** Partitions; -1 (the default) takes the broker's `num.partitions`. */
  numPartitions?: number;
  /** The broker's `default.replication.factor` when -1. Default -1. */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ "retention.ms": "60000" }`. */
  config?: Record<string, string>;
}

/** One partition of a topic as the cluster describes it. */
export interface PartitionInfo {
  /** The partition's id, from 0 to the partition count - 1. */
  partition: number;
  /** The broker id of its leader; null while it has none (e.g. during a leader election). */
  leader: number | null;
  /** The broker ids holding a replica of it. */
  replicas: number[];
  /** The broker ids of its in-sync replicas. */
  isr: number[];
}

/** A topic as the cluster describes it. */
export interface TopicInfo {
  /** The topic's name as the cluster reports it. */
  name: string;
  /** Each of its partitions, with leader and replicas. */
  partitions: PartitionInfo[];
}

/** Where `listOffsets` looks: the oldest or newest offset, or the first at or after a time. */
export type OffsetSpecInput = "earliest" | "latest" | Date;

/** An offset of one partition. */
export interface PartitionOffset {
  /** The topic the partition belongs to. */
  topic: string;
  /** The partition's id within the topic. */
  partition: number;
  /** The offset; what it means depends on the call that returned it (e.g. the next offset to be written for `"latest"`). */
  offset: number;
}

/** Everything a Client is built from. */
export interface ClientSetup {
  key: string;
  properties: LibrdkafkaProperties;
  brokers: readonly string[];
  interceptors: readonly Interceptor[];
  /** `client.timeout`: every admin call, ping included, answers within it. */
  timeoutMs: number;
}

/**
 * Administers the cluster: topics, offsets, and a health check. Every call answers within
 * `client.timeout` or rejects with an error that says what did not answer.
 */
export class Client {
  /** The config key of the component it belongs to, e.g. "kafka"; names it in errors and logs. */
  readonly key: string;
  private admin: IAdminClient | undefined;
  private readonly failures: FailureLog;
  private readonly intercepted: Intercepted;
  private closed = false;

  /** @internal made by the component ({@link Component.client}); not for direct use */
  constructor(private readonly setup: ClientSetup) {
    this.key = setup.key;
    this.failures = new FailureLog(setup.properties);
    const site: CallSite = { key: setup.key, name: "client", kind: "client", brokers: setup.brokers, topic: "" };
    this.intercepted = new Intercepted(site, setup.interceptors);
  }

  /** Creates topics; one that exists already is an error unless `ignoreExisting`. */
  async createTopics(topics: TopicSpec[], options: { ignoreExisting?: boolean } = {}): Promise<void> {
    await this.call("CreateTopics", topics, async (admin) => {
      for (const spec of topics) {
        const topic = {
          topic: spec.topic,
          num_partitions: spec.numPartitions ?? -1,
          replication_factor: spec.replicationFactor ?? -1,
          config: spec.config ?? {},
        };
        try {
          await callback<void>((cb) => admin.createTopic(topic, this.setup.timeoutMs, (err) => cb(err, undefined)));
        } catch (err) {
          if (options.ignoreExisting && (err as LibrdKafkaError).code === ErrorCodes.ERR_TOPIC_ALREADY_EXISTS) continue;
          throw this.error(err, `CreateTopics (${spec.topic})`);
        }
      }
    });
  }

  /** Deletes topics. */
  async deleteTopics(...topics: string[]): Promise<void> {
    await this.call("DeleteTopics", topics, async (admin) => {
      for (const topic of topics) {
        await callback<void>((cb) => admin.deleteTopic(topic, this.setup.timeoutMs, (err) => cb(err, undefined))).catch((err: unknown) => {
          throw this.error(err, `DeleteTopics (${topic})`);
        });
      }
    });
  }

  /** The names of all topics (internal ones included). */
  async listTopics(): Promise<string[]> {
    return this.call("ListTopics", undefined, (admin) =>
      callback<string[]>((cb) => admin.listTopics({ timeout: this.setup.timeoutMs }, cb)).catch((err: unknown) => {
        throw this.error(err, "ListTopics");
      }),
    );
  }

  /**
   * Partitions, leaders and replicas of the given topics (of all topics when none is given).
   *
   * @throws KafkaError naming the first given topic the broker answered with an error for, with that
   *   error's code: 3 (`ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART`) for a topic it does not know. Brokers
   *   learn of a topic just created one after the other, so for a moment after `createTopics` one of
   *   them may still answer so. Without topics, a topic with an error (one deleted between the listing
   *   and the description) is left out.
   */
  async metadata(...topics: string[]): Promise<TopicInfo[]> {
    return this.call("Metadata", topics, async (admin) => {
      const names = topics.length > 0 ? topics : await this.listTopics();
      const described = await callback<TopicDescription[]>((cb) =>
        admin.describeTopics(names, { timeout: this.setup.timeoutMs }, cb),
      ).catch((err: unknown) => {
        throw this.error(err, "Metadata");
      });
      const failed = described.find((t) => t.error);
      if (topics.length > 0 && failed !== undefined) throw this.error(failed.error, `Metadata (topic ${failed.name})`);
      return described
        .filter((t) => !t.error)
        .map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            leader: p.leader?.id ?? null,
            replicas: p.replicas.map((n) => n.id),
            isr: p.isr.map((n) => n.id),
          })),
        }));
    });
  }

  /** Whether the topic exists. */
  async topicExists(topic: string): Promise<boolean> {
    return (await this.listTopics()).includes(topic);
  }

  /**
   * The oldest, newest, or first-after-a-time offset of each partition of `topic`.
   *
   * @throws KafkaError as {@link Client.metadata} does for a topic the answering broker does not know.
   */
  async listOffsets(topic: string, spec: OffsetSpecInput = "latest"): Promise<PartitionOffset[]> {
    return this.call("ListOffsets", { topic, spec }, async (admin) => {
      const [info] = await this.metadata(topic);
      const offsetSpec =
        spec === "earliest"
          ? native.OffsetSpec.EARLIEST
          : spec === "latest"
            ? native.OffsetSpec.LATEST
            : new native.OffsetSpec(spec.getTime());
      const request = (info?.partitions ?? []).map((p) => ({ topic, partition: p.partition, offset: offsetSpec }));
      const results = await callback<ListOffsetsResult[]>((cb) => admin.listOffsets(request, { timeout: this.setup.timeoutMs }, cb)).catch(
        (err: unknown) => {
          throw this.error(err, `ListOffsets (${topic})`);
        },
      );
      return results.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset })).sort((a, b) => a.partition - b.partition);
    });
  }

  /**
   * The offsets a consumer group has committed: for every partition of `topic` (-1 where it has none),
   * or, without a topic, for every partition the group has committed to.
   *
   * Asked through a consumer of the group that never joins it, not through the admin API: librdkafka's
   * admin offset lookup crashes the process when the group's coordinator moves (librdkafka #5040),
   * while a group member's lookup just finds the new coordinator.
   */
  async offsetFetch(groupId: string, topic?: string): Promise<PartitionOffset[]> {
    return this.call("OffsetFetch", { groupId, topic }, async () => {
      const topics = topic === undefined ? await this.metadata() : await this.metadata(topic);
      const partitions = topics
        .filter((t) => topic !== undefined || !t.name.startsWith("__"))
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
      if (partitions.length === 0) return [];
      const committed = await this.committedOffsets(groupId, partitions);
      return committed
        .map((p) => ({ topic: p.topic, partition: p.partition, offset: typeof p.offset === "number" && p.offset >= 0 ? p.offset : -1 }))
        .filter((p) => topic !== undefined || p.offset >= 0)
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    });
  }

  private async committedOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<TopicPartitionOffset[]> {
    const properties = { ...this.setup.properties, "group.id": groupId, "enable.auto.commit": false, "enable.auto.offset.store": false };
    const consumer = nativeConsumer(this.key, properties);
    const failures = new FailureLog(properties).attach(consumer);
    try {
      await connectClient(consumer, failures, this.setup.timeoutMs, this.key);
      return await callback<TopicPartitionOffset[]>((cb) => consumer.committed(partitions, this.setup.timeoutMs, cb)).catch(
        (err: unknown) => {
          throw failures.error(err, `OffsetFetch (${groupId})`, this.key);
        },
      );
    } finally {
      await disconnectClient(consumer);
    }
  }

  /**
   * A health check: resolves when a broker answered within `client.timeout`, rejects with the reason
   * (refused, authentication failed, timed out) otherwise.
   */
  async ping(): Promise<void> {
    await this.call("Ping", undefined, async (admin) => {
      await callback<string[]>((cb) => admin.listTopics({ timeout: this.setup.timeoutMs }, cb)).catch((err: unknown) => {
        const error = this.error(err, "Ping");
        throw Object.assign(error, {
          message: `${error.message} (no broker of ${this.setup.brokers.join(", ")} answered within ${this.setup.timeoutMs} ms)`,
        });
      });
    });
  }

  /** Closes the connection. */
  close(): void {
    this.closed = true;
    this.admin?.disconnect();
    this.admin = undefined;
  }

  private async call<T>(operation: string, request: unknown, fn: (admin: IAdminClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new ClosedError(`admin client ${this.key}`, operation);
    return this.intercepted.run(operation, [], request, () =>
      failFast(fn(this.connect()), this.failures).catch((err: unknown) => {
        throw isUnrecoverable(err) ? this.error(err, operation) : err;
      }),
    );
  }

  private connect(): IAdminClient {
    this.admin ??= nativeAdmin(this.key, this.setup.properties, (log: LogEvent) => this.failures.record(log));
    return this.admin;
  }

  private error(err: unknown, operation: string) {
    return toKafkaError(err, operation, this.key, this.failures.last);
  }
}
