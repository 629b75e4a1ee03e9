// The TOML of a Consumer Server scenario, written once: a topic with unique names, a producer `p1`
// writing it, the group reading it (as `[kafka.consumerGroups.cg1]`, as a Go TOML's
// `[kafka.consumers.c1]`, or both), and server `s1` naming them, with the cluster's short group timings.
import type { Component, Option as KafkaOption } from "ekafka";
import { load } from "ekafka";
import type { Config } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { e2eConfig, FAST_GROUP } from "./component.js";
import { brokers, uniqueName } from "./env.js";
import { createTopic } from "./raw.js";

/**
 * How server `s1` reads: `consumerGroupName = "cg1"`, `consumerName = "c1"` (the Go original's key), or
 * both (onEachMessage then reads with `c1`, as in Go).
 */
export type Reader = "group" | "consumer" | "both";

/** The parts of a scenario's TOML. */
export interface ScenarioTomlOptions {
  topic: string;
  groupID: string;
  /** Default "group". */
  reader?: Reader;
  /** Producer `p1` writing the topic (batchTimeout 5 ms); default true. */
  producer?: boolean;
  /** More keys of producer `p1` (`balancer = "hash"`, say). */
  producerKeys?: string;
  /** More keys of each reader (`commitInterval`, say), after the group timings. */
  readerKeys?: string;
  /** More TOML after the readers (other producers and consumers, or keys of the last reader). */
  extra?: string;
  /** Keys of `[kafkaConsumerServers.s1]`. */
  serverKeys?: string;
  /**
   * The group timing keys of the readers; default {@link FAST_GROUP}. A `groupProtocol = "consumer"`
   * reader sets its own (that protocol refuses sessionTimeout and heartbeatInterval).
   */
  groupKeys?: string;
}

/** The scenario's `[kafka.*]` entries and `[kafkaConsumerServers.s1]`, without `[kafka]` and its brokers. */
export function scenarioToml(options: ScenarioTomlOptions): string {
  const { topic, groupID, reader = "group", producer = true, producerKeys = "", readerKeys = "" } = options;
  const parts: string[] = [];
  if (producer) parts.push(`[kafka.producers.p1]\ntopic = "${topic}"\nbatchTimeout = "5ms"\n${producerKeys}`);
  const group = options.groupKeys ?? FAST_GROUP;
  const readerTable = (table: string) => `[kafka.${table}]\ntopic = "${topic}"\ngroupID = "${groupID}"\n${group}${readerKeys}`;
  if (reader !== "consumer") parts.push(readerTable("consumerGroups.cg1"));
  if (reader !== "group") parts.push(readerTable("consumers.c1"));
  if (options.extra !== undefined) parts.push(options.extra);
  const names = [reader !== "consumer" ? 'consumerGroupName = "cg1"' : "", reader !== "group" ? 'consumerName = "c1"' : ""];
  parts.push(`[kafkaConsumerServers.s1]\n${names.filter((n) => n !== "").join("\n")}\n${options.serverKeys ?? ""}`);
  return `\n${parts.join("\n")}\n`;
}

/**
 * A whole file's TOML for a child-process fixture: `[kafka]` with the brokers of e2e.toml, group `cg1`
 * reading `topic` as `groupID`, and server `s1` with `serverKeys` (no producer).
 */
export function consumerServerToml(topic: string, groupID: string, serverKeys = ""): string {
  return `[kafka]\nbrokers = ${JSON.stringify(brokers)}\n${scenarioToml({ topic, groupID, producer: false, serverKeys })}`;
}

/** A scenario: its names, options and what {@link ServerScenario.build} adds to every server. */
export interface ScenarioOptions {
  /** The prefix of the topic's and group's names. */
  name: string;
  /** The topic's partitions (replication factor 3); default 3. */
  partitions?: number;
  reader?: Reader;
  /** See {@link ScenarioTomlOptions.producerKeys} and {@link ScenarioTomlOptions.readerKeys}. */
  producerKeys?: string;
  readerKeys?: string;
  /** More TOML after the readers, given the scenario's topic and group id. */
  extra?: string | ((topic: string, groupID: string) => string);
  serverKeys?: string;
  /** See {@link ScenarioTomlOptions.groupKeys}. */
  groupKeys?: string;
  /** Options every server of the scenario is built with, before those given to build(). */
  serverOptions?: consumerserver.Option[];
  /** Called with each component built (to close it after the test: componentsClosedAfterEach's `track`). */
  track?: (component: Component) => Component;
}

/** A scenario with unique names; each build() is a new component and a new member of the same group. */
export interface ServerScenario {
  topic: string;
  groupID: string;
  toml: string;
  /** Creates the topic and waits until every broker knows it; call once. */
  create(): Promise<void>;
  build(options?: { kafka?: KafkaOption[]; server?: consumerserver.Option[] }): {
    cfg: Config;
    kafka: Component;
    server: consumerserver.ConsumerServer;
  };
}

/** See {@link ServerScenario}. */
export function serverScenario(options: ScenarioOptions): ServerScenario {
  const topic = uniqueName(`e2e-${options.name}`);
  const groupID = uniqueName(`g-${options.name}`);
  const extra = typeof options.extra === "function" ? options.extra(topic, groupID) : options.extra;
  const { reader, producerKeys, readerKeys, groupKeys, serverKeys } = options;
  const toml = scenarioToml({ topic, groupID, reader, producerKeys, readerKeys, groupKeys, extra, serverKeys });
  return {
    topic,
    groupID,
    toml,
    create: () => createTopic(topic, options.partitions ?? 3, 3),
    build: (build = {}) => {
      const cfg = e2eConfig(toml);
      const kafka = load("kafka", cfg).build(...(build.kafka ?? []));
      options.track?.(kafka);
      const server = consumerserver
        .load("kafkaConsumerServers.s1", cfg)
        .build(consumerserver.withEkafka(kafka), ...(options.serverOptions ?? []), ...(build.server ?? []));
      return { cfg, kafka, server };
    },
  };
}
