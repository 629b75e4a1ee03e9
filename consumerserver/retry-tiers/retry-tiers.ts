import type { Component, ConsumerGroup, ReaderTree } from "../../src/index.js";
import { ConfigError, type Logger } from "../../src/core/index.js";
import { DEAD_LETTER_TOPIC_SUFFIX } from "../dead-letter.js";
import type { Reporter } from "../error-report.js";
import { chain, type DeliveryHandler, type Middleware } from "../delivery.js";
import { retrying } from "../middleware.js";
import { retryPolicy } from "../retry.js";
import { recordingFailures } from "./failure-recording.js";
import { retryTopicName, type RetryTierSettings } from "./settings.js";
import { RetryTierReader } from "./tier-reader.js";
import { retryTierWriting, type RecordWriter, type TierDestinations } from "./tier-write.js";
import { ensureTierTopics, type TierTopics } from "./topics.js";

/** The suffix of the group that reads a server's retry topics: `<groupID>.retry`. */
export const RETRY_GROUP_SUFFIX = ".retry";

// librdkafka's "oldest": a record written to a retry topic before the retry group first joined is read.
const OLDEST = -2;

/** What a server hands its retry tiers. */
export interface RetryTiersSetup {
  /** The server's config key, named in errors. */
  key: string;
  settings: RetryTierSettings;
  component: Component;
  /**
   * The entry the server reads its topics with — `kafka.consumers.<name>` (`consumerName`, as in Go) or
   * `kafka.consumerGroups.<name>` (`consumerGroupName`): its groupID, topics and settings.
   */
  reader: { tree: ReaderTree; name: string };
  /** Writes the retry-topic records. */
  retryWriter: RecordWriter;
  /** Writes the dead-letter records; `topic` is its configured topic (else `<topic>.DLT` is used). */
  deadLetter: { writer: RecordWriter; topic: string | undefined };
  logger: Logger;
}

/** What the retry-topic reader needs from the server. */
export interface TierReaderSetup {
  /** The steps around every delivery (server interceptors, the user's middlewares), outermost first. */
  outer: Middleware[];
  report: Reporter;
  logger: Logger;
  debug: boolean;
  /** `onEachBatch`: each due record is handed over as a batch of one. */
  batches: boolean;
  maxQueuedPerPartition: number;
}

/**
 * A server's retry tiers: the topics (`retryTopicFormat` for each topic the server reads and each of
 * `retryDelays`), the step that moves a failed message on, and the reader of the retry topics (a member
 * of the group `<groupID>.retry`, reading from the oldest offset).
 */
export class RetryTiers implements TierDestinations {
  readonly settings: RetryTierSettings;
  readonly retryWriter: RecordWriter;
  readonly deadLetterWriter: RecordWriter;
  /** The server's topics, each with its retry topics (and derived dead-letter topic). */
  readonly topics: readonly TierTopics[];
  /** The group reading the retry topics. */
  readonly groupID: string;
  readonly #setup: RetryTiersSetup;
  readonly #tierOfTopic = new Map<string, number>();
  #partitions = new Map<string, number>();

  /** @throws ConfigError naming the key when the consumer group's topics are not named (a topicRegex) */
  constructor(setup: RetryTiersSetup) {
    this.#setup = setup;
    this.settings = setup.settings;
    this.retryWriter = setup.retryWriter;
    this.deadLetterWriter = setup.deadLetter.writer;
    const { tree, name } = setup.reader;
    const group = setup.component.config[tree][name];
    const where = `${setup.component.key}.${tree}.${name}`;
    const nameKey = `${setup.key}.${tree === "consumers" ? "consumerName" : "consumerGroupName"}`;
    if (group === undefined) throw ConfigError.atKey(nameKey, `no entry named ${JSON.stringify(name)} in ${setup.component.key}.${tree}`);
    if (group.topicRegex !== undefined || group.groupID === undefined) {
      throw ConfigError.atKey(
        `${setup.key}.retryDelays`,
        `retry tiers need the topics read by name, with a groupID; ${where} ${group.topicRegex !== undefined ? "uses topicRegex" : "has no groupID"}`,
      );
    }
    const names = group.topics.length > 0 ? group.topics : group.topic === undefined ? [] : [group.topic];
    this.groupID = `${group.groupID}${RETRY_GROUP_SUFFIX}`;
    this.topics = names.map((topic) => {
      const retries = this.settings.delaysMs.map((_, index) => this.retryTopic(topic, index + 1));
      retries.forEach((retryTopic, index) => this.#tierOfTopic.set(retryTopic, index + 1));
      const deadLetter = this.deadLetterTopic(topic);
      return { topic, derived: deadLetter === undefined ? retries : [...retries, deadLetter] };
    });
    const clash = names.find((topic) => this.#tierOfTopic.has(topic));
    if (clash !== undefined)
      throw ConfigError.atKey(`${setup.key}.retryTopicFormat`, `the retry topic ${clash} is also a topic the server reads`);
  }

  retryTopic(originalTopic: string, n: number): string {
    return retryTopicName(this.settings.topicFormat, originalTopic, n);
  }

  retryPartition(retryTopic: string, originalPartition: number): number | undefined {
    const count = this.#partitions.get(retryTopic);
    return count !== undefined && originalPartition >= 0 && originalPartition < count ? originalPartition : undefined;
  }

  deadLetterTopic(originalTopic: string): string | undefined {
    return this.#setup.deadLetter.topic === undefined ? `${originalTopic}${DEAD_LETTER_TOPIC_SUFFIX}` : undefined;
  }

  /** The tier whose retry topic `topic` is (0 when it is none). */
  tierOfTopic(topic: string): number {
    return this.#tierOfTopic.get(topic) ?? 0;
  }

  /**
   * Creates the missing retry topics (and the derived dead-letter topics) with their topic's partition
   * count, and learns the partition counts. Call before consuming.
   * @throws Error naming the topic that is missing and cannot be created
   */
  async prepare(): Promise<void> {
    this.#partitions = await ensureTierTopics(this.#setup.component.client(), this.topics, this.#setup.key, this.#setup.logger);
  }

  /**
   * The steps around the server's in-place retries for messages of its own topics: the retry-tier step
   * outermost, then `inPlace`, then the recording of each failed call.
   */
  middlewares(inPlace: Middleware, report: Reporter): Middleware[] {
    return [retryTierWriting(this, report), inPlace, recordingFailures()];
  }

  /**
   * The reader of the retry topics, handing due records to `handler` (the same handler as the server's
   * own topics, `onEachMessage` or `onEachBatch`) through the same outer steps and the retry-tier step,
   * without in-place retries: each tier is one more try.
   */
  reader(handler: DeliveryHandler, setup: TierReaderSetup): RetryTierReader {
    const group: ConsumerGroup = this.#setup.component.derivedConsumerGroup(this.#setup.reader.name, {
      from: this.#setup.reader.tree,
      groupID: this.groupID,
      topics: this.topics.flatMap((set) => set.derived.filter((topic) => this.#tierOfTopic.has(topic))),
      startOffset: OLDEST,
    });
    const handle = chain(
      handler,
      ...setup.outer,
      retryTierWriting(this, setup.report),
      retrying(retryPolicy({ attempts: 0 }), setup.report),
      recordingFailures(),
    );
    return new RetryTierReader({
      group,
      handle,
      tierOfTopic: (topic) => this.tierOfTopic(topic),
      report: setup.report,
      logger: setup.logger.child({ retryGroup: this.groupID }),
      debug: setup.debug,
      batches: setup.batches,
      maxQueuedPerPartition: setup.maxQueuedPerPartition,
    });
  }
}
