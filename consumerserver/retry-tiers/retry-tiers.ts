import type { Component, ReaderTree } from "../../src/index.js";
import { ConfigError, type Logger } from "../../src/core/index.js";
import { setTierState } from "../delivery-state.js";
import { stateOf } from "../failure-headers.js";
import type { RecordWriter, TierDestinations } from "../move-on-failure.js";
import type { Subscription } from "../subscription.js";
import { retryTopicName, type RetryTierSettings } from "./settings.js";
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
  /** The dead-letter topic of an original topic the server derives (and so creates), or undefined for the dead-letter producer's own topic. */
  deadLetterTopicOf: (originalTopic: string) => string | undefined;
  logger: Logger;
}

/**
 * A server's retry tiers: the topics (`retryTopicFormat` for each topic the server reads and each of
 * `retryDelays`), where the failure step writes, and the subscription of the retry topics (a member of
 * the group `<groupID>.retry`, reading from the oldest offset) that the server's engine reads beside its
 * own topics.
 */
export class RetryTiers implements TierDestinations {
  readonly settings: RetryTierSettings;
  readonly retryWriter: RecordWriter;
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
      const deadLetter = setup.deadLetterTopicOf(topic);
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
   * The retry topics as a subscription of the server's engine: a record is due at the time its headers
   * say, and its delivery carries the tier and the attempts its headers say.
   */
  subscription(): Subscription {
    const topics = this.topics.flatMap((set) => set.derived.filter((topic) => this.#tierOfTopic.has(topic)));
    const group = this.#setup.component.derivedConsumerGroup(this.#setup.reader.name, {
      from: this.#setup.reader.tree,
      groupID: this.groupID,
      topics,
      startOffset: OLDEST,
    });
    return {
      name: "retry topics",
      group,
      topics,
      dueAt: (message) => stateOf(message, this.tierOfTopic(message.topic)).dueMs,
      prepare: (delivery) => {
        const state = stateOf(delivery.message, this.tierOfTopic(delivery.message.topic));
        delivery.attempts = state.attempts;
        setTierState(delivery, state);
      },
    };
  }
}
