// The ekafka side of every bench: a component built from TOML as an application would build it —
// default interceptors (timing, trace, metrics) on, debug off.
import { Config } from "ekafka/core";
import { load, type Component } from "ekafka";
import { BROKERS, CODECS, CONSUMER, PRODUCER, type Codec } from "./settings.js";

/** A config tree of `toml` (tables under `[kafka]` without brokers, and any other trees) against the local cluster. */
export function benchConfig(toml: string): Config {
  return new Config().loadString(`[kafka]\nbrokers = ${JSON.stringify(BROKERS)}\n${toml}`);
}

/** Builds the `[kafka]` component of `toml` (see {@link benchConfig}). */
export function benchComponent(toml: string, cfg: Config = benchConfig(toml)): Component {
  return load("kafka", cfg).build();
}

/** A producer table with the bench's producer settings. */
export function producerToml(name: string, topic: string, codec: Codec): string {
  return `
[kafka.producers.${name}]
topic = "${topic}"
compression = ${CODECS.indexOf(codec)}
requiredAcks = ${PRODUCER.acks}
batchTimeout = "${PRODUCER.lingerMs}ms"
batchSize = ${PRODUCER.batchMessages}
batchBytes = ${PRODUCER.batchBytes}
`;
}

/** A consumer group table reading `topic` from the oldest offset as the new group `groupID`. */
export function groupToml(name: string, topic: string, groupID: string): string {
  return `
[kafka.consumerGroups.${name}]
topic = "${topic}"
groupID = "${groupID}"
startOffset = -2
commitInterval = "${CONSUMER.commitIntervalMs}ms"
maxWait = "${CONSUMER.maxWaitMs}ms"
maxBytes = ${CONSUMER.maxBytesPerPartition}
`;
}
