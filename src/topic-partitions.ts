import type { Metadata, Producer as NativeProducer } from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import { ErrorCodes, KafkaError } from "./errors.js";
import { callback, type FailureLog } from "./rdkafka.js";
import { withRetries } from "./retry-policies.js";

// A producer's knowledge of its topics' partitions, which the balancer chooses among: fetched once per
// topic, refreshed in the background, waited for when a topic is new.

/**
 * How long a topic's partition list is used before it is asked for again (new partitions appear). A
 * stale list keeps being used while the new one is fetched in the background, so a write never waits for
 * a refresh and an outage does not turn a known topic into a failed write.
 */
const PARTITIONS_TTL_MS = 30_000;

/** First and longest pause between metadata requests while a write waits for a topic to appear. */
const METADATA_RETRY_MIN_MS = 50;
const METADATA_RETRY_MAX_MS = 1_000;

/** A topic's partition ids as last fetched, and whether a refresh is under way. */
interface KnownPartitions {
  partitions: number[];
  fetchedAt: number;
  refreshing: boolean;
}

/** What the partition lists are asked with. */
export interface TopicPartitionsIO {
  /** The producer's config key, named in errors. */
  readonly key: string;
  readonly client: NativeProducer;
  readonly failures: FailureLog;
  readonly logger: Logger;
  /** Timeout of one metadata request. */
  readonly requestTimeoutMs: number;
  /** Whether the producer is closed (a closed producer stops waiting). */
  isClosed(): boolean;
}

/** The partitions of the topics a producer writes to. */
export class TopicPartitions {
  readonly #cache = new Map<string, KnownPartitions>();
  /** The metadata request under way per topic, shared by every write waiting for that topic. */
  readonly #requests = new Map<string, Promise<number[]>>();

  constructor(private readonly io: TopicPartitionsIO) {}

  /**
   * The topic's partition ids when they are known, however old; a list older than PARTITIONS_TTL_MS is
   * refreshed in the background (the old one is used until the new one is in).
   */
  known(topic: string): number[] | undefined {
    const known = this.#cache.get(topic);
    if (known === undefined) return undefined;
    if (!known.refreshing && Date.now() - known.fetchedAt >= PARTITIONS_TTL_MS) {
      known.refreshing = true;
      this.#request(topic, this.io.requestTimeoutMs).then(
        () => undefined,
        // The old list stays in use; the next write after another TTL asks again.
        (err: unknown) => {
          known.refreshing = false;
          known.fetchedAt = Date.now();
          this.io.logger.debug({ err, topic }, "refreshing the topic's partitions failed; the known ones stay in use");
        },
      );
    }
    return known.partitions;
  }

  /**
   * Waits for the partitions of a topic not seen before, asking again with a growing pause until the
   * call's deadline: a topic the cluster creates on first use appears after a moment, and brokers that
   * are down may come back. At the deadline the last reason is the error.
   */
  async wait(topic: string, deadline: number): Promise<number[]> {
    let reason: KafkaError | undefined;
    const ask = async () => {
      const remaining = deadline - Date.now();
      try {
        return await this.#request(topic, Math.max(1, Math.min(this.io.requestTimeoutMs, remaining)));
      } catch (err) {
        // A request cut short by the deadline says less than the cluster's last answer ("no such topic").
        if (reason === undefined || (err as KafkaError).code !== ErrorCodes.ERR__TIMED_OUT) reason = err as KafkaError;
        throw reason;
      }
    };
    // The last pause ends at the deadline, for one more request: a topic may appear at the last moment.
    return withRetries(ask, {
      retries: Infinity,
      waits: { initialMs: METADATA_RETRY_MIN_MS, maxMs: METADATA_RETRY_MAX_MS },
      deadline,
      retryIf: () => !this.io.isClosed(),
    });
  }

  /** Asks the cluster for the topic's partitions (one request per topic at a time) and caches them. */
  #request(topic: string, timeoutMs: number): Promise<number[]> {
    let request = this.#requests.get(topic);
    if (request === undefined) {
      request = this.#fetch(topic, timeoutMs).finally(() => this.#requests.delete(topic));
      this.#requests.set(topic, request);
    }
    return request;
  }

  async #fetch(topic: string, timeoutMs: number): Promise<number[]> {
    const metadata = await callback<Metadata>((cb) => this.io.client.getMetadata({ topic, timeout: timeoutMs }, cb)).catch(
      (err: unknown) => {
        throw this.io.failures.error(err, `WriteMessages (metadata of topic ${topic})`, this.io.key);
      },
    );
    const found = metadata.topics.find((t) => t.name === topic);
    const partitions = (found?.partitions ?? []).map((p) => p.id).sort((a, b) => a - b);
    if (partitions.length === 0) {
      throw new KafkaError(`${this.io.key}: WriteMessages failed: topic ${topic} does not exist or has no partitions`, {
        operation: "WriteMessages",
        key: this.io.key,
        code: ErrorCodes.ERR__UNKNOWN_TOPIC,
      });
    }
    this.#cache.set(topic, { partitions, fetchedAt: Date.now(), refreshing: false });
    return partitions;
  }
}
