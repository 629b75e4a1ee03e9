// Every value kafka-go and Go ekafka accepted loads here: values librdkafka cannot take as written are
// brought to the nearest value it accepts, with one warning saying what changed. The values come from
// kafka-go's Writer/ReaderConfig docs and defaults (a field <= 0 means "use the default"; sizes and
// durations are taken as written) and from the Go original's example files.
import { Writable } from "node:stream";
import { pino } from "pino";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { Config } from "ekafka/core";
import { load, withLogger } from "ekafka";
import { decodeKafkaConfig, type ProducerConfig, type ReaderConfig } from "../../src/config.js";
import { producerProperties, consumerProperties } from "../../src/librdkafka-properties.js";

const MAX_INT32 = 2_147_483_647;

interface Row {
  /** What kafka-go or Go ekafka did with the value. */
  go: string;
  /** The TOML lines of the entry (after its header). */
  toml: string;
  /** Field values after loading. */
  loads: Partial<ProducerConfig & ReaderConfig>;
  /** The one warning expected, or null for none. */
  warning: RegExp | null;
}

const producerRows: Row[] = [
  {
    go: "kafka-go's Writer defaults, written out",
    toml: 'maxAttempts = 10\nbatchSize = 100\nbatchBytes = 1048576\nbatchTimeout = "1s"\nreadTimeout = "10s"\nwriteTimeout = "10s"\nrequiredAcks = -1',
    loads: { maxAttempts: 10, batchSize: 100, batchBytes: 1_048_576, batchTimeout: 1000, readTimeout: 10_000, writeTimeout: 10_000 },
    warning: null,
  },
  {
    go: "WriteTimeout bounds each write; any BatchTimeout",
    toml: 'batchTimeout = "1m30s"',
    loads: { batchTimeout: 90_000, writeTimeout: 100_000 },
    warning: /writeTimeout: 10s is not longer than batchTimeout \(1m30s\).*up to 1m40s/,
  },
  {
    go: "same",
    toml: 'batchTimeout = "1s"\nwriteTimeout = "1s"',
    loads: { batchTimeout: 1000, writeTimeout: 2000 },
    warning: /writeTimeout: 1s is not longer than batchTimeout \(1s\).*up to 2s/,
  },
  {
    go: "kafka-go's default BatchTimeout",
    toml: 'batchTimeout = "1s"',
    loads: { batchTimeout: 1000, writeTimeout: 10_000 },
    warning: null,
  },
  {
    go: "BatchTimeout <= 0 means the default",
    toml: 'batchTimeout = "-1s"',
    loads: { batchTimeout: 5 },
    warning: /batchTimeout: -1s is negative; kafka-go read it as not set, so the default 5ms applies/,
  },
  {
    go: "WriteTimeout <= 0 means the default",
    toml: 'writeTimeout = "-1s"',
    loads: { writeTimeout: 10_000 },
    warning: /writeTimeout: -1s is negative/,
  },
  {
    go: "ReadTimeout taken as written",
    toml: 'readTimeout = "5ms"',
    loads: { readTimeout: 10 },
    warning: /readTimeout: 5ms is below the least socket.timeout.ms librdkafka accepts; 10ms is used/,
  },
  {
    go: "same",
    toml: 'readTimeout = "10m"',
    loads: { readTimeout: 300_000 },
    warning: /readTimeout: 10m0s is more than librdkafka's socket.timeout.ms accepts; 5m0s is used/,
  },
  {
    go: "MaxAttempts <= 0 means 10",
    toml: "maxAttempts = -1",
    loads: { maxAttempts: 10 },
    warning: /maxAttempts: -1 is negative.*default 10/,
  },
  {
    go: "mapstructure truncates a fraction",
    toml: "maxAttempts = 3.7",
    loads: { maxAttempts: 3 },
    warning: /maxAttempts: 3.7 is not a whole number; read as 3/,
  },
  {
    go: "BatchSize taken as written",
    toml: "batchSize = 2000000",
    loads: { batchSize: 1_000_000 },
    warning: /batchSize: 2000000 is more than librdkafka's batch.num.messages accepts; 1000000 is used/,
  },
  { go: "BatchSize <= 0 means 100", toml: "batchSize = -5", loads: { batchSize: 100 }, warning: /batchSize: -5 is negative/ },
  {
    go: "BatchBytes is an int64",
    toml: "batchBytes = 3000000000",
    loads: { batchBytes: MAX_INT32 },
    warning: /batchBytes: 3000000000 is more than librdkafka's batch.size accepts/,
  },
  {
    go: "Ego set a codec only when compression > 0",
    toml: "compression = -1",
    loads: { compression: 0 },
    warning: /compression: -1 means no compression/,
  },
  { go: "RequireNone", toml: "requiredAcks = 0", loads: { requiredAcks: 0 }, warning: null },
  { go: "RequireOne", toml: "requiredAcks = 1", loads: { requiredAcks: 1 }, warning: null },
  {
    go: "the seed's producer",
    toml: 'compression = 1\nasync = true\nbalancer = "hash"',
    loads: { compression: 1, async: true, balancer: "hash" },
    warning: null,
  },
];

const groupRows: Row[] = [
  {
    go: "kafka-go's Reader and ConsumerGroup defaults, written out",
    toml:
      'minBytes = 1\nmaxBytes = 1000000\nmaxWait = "10s"\nreadLagInterval = "1m"\nheartbeatInterval = "3s"\ncommitInterval = "0s"\n' +
      'partitionWatchInterval = "5s"\nsessionTimeout = "30s"\nrebalanceTimeout = "30s"\njoinGroupBackoff = "5s"\nretentionTime = "24h"\n' +
      'startOffset = -2\nreadBackoffMin = "100ms"\nreadBackoffMax = "1s"\ntimeout = "5s"',
    loads: {
      maxBytes: 1_000_000,
      maxWait: 10_000,
      heartbeatInterval: 3000,
      sessionTimeout: 30_000,
      rebalanceTimeout: 30_000,
      retentionTime: 86_400_000,
    },
    warning: null,
  },
  {
    go: "kafka-go sends HeartbeatInterval as given",
    toml: 'heartbeatInterval = "30s"',
    loads: { heartbeatInterval: 30_000, sessionTimeout: 30_000 },
    warning: /heartbeatInterval: 30s is not shorter than sessionTimeout \(30s\); kept as in Go/,
  },
  {
    go: "RebalanceTimeout below SessionTimeout",
    toml: 'rebalanceTimeout = "10s"',
    loads: { rebalanceTimeout: 30_000 },
    warning: /rebalanceTimeout: 10s is shorter than sessionTimeout \(30s\).*30s is used/,
  },
  {
    go: "SessionTimeout below MaxInt32 ms",
    toml: 'sessionTimeout = "2h"\nrebalanceTimeout = "2h"',
    loads: { sessionTimeout: 3_600_000, rebalanceTimeout: 7_200_000 },
    warning: /sessionTimeout: 2h0m0s is more than librdkafka's session.timeout.ms accepts; 1h0m0s is used/,
  },
  {
    go: "MaxWait taken as written",
    toml: 'maxWait = "10m"',
    loads: { maxWait: 300_000 },
    warning: /maxWait: 10m0s is more than librdkafka's fetch.wait.max.ms accepts/,
  },
  { go: "a negative MaxWait was not refused", toml: 'maxWait = "-5s"', loads: { maxWait: 10_000 }, warning: /maxWait: -5s is negative/ },
  {
    go: "CommitInterval taken as written",
    toml: 'commitInterval = "48h"',
    loads: { commitInterval: 86_400_000 },
    warning: /commitInterval: 48h0m0s is more than librdkafka's auto.commit.interval.ms accepts/,
  },
  {
    go: "MaxBytes taken as written",
    toml: "maxBytes = 2000000000",
    loads: { maxBytes: 1_000_000_000 },
    warning: /maxBytes: 2000000000 is more than librdkafka's max.partition.fetch.bytes accepts/,
  },
  {
    go: "ReadBackoffMax taken as written",
    toml: 'readBackoffMin = "1s"\nreadBackoffMax = "10m"',
    loads: { readBackoffMax: 300_000 },
    warning: /readBackoffMax: 10m0s is more than librdkafka's retry.backoff.max.ms accepts/,
  },
  {
    go: "PartitionWatchInterval below MaxInt32 ms",
    toml: 'watchPartitionChanges = true\npartitionWatchInterval = "2h"',
    loads: { partitionWatchInterval: 3_600_000 },
    warning: /partitionWatchInterval: 2h0m0s is more than/,
  },
  { go: "a negative Timeout was not refused", toml: 'timeout = "-1s"', loads: { timeout: 5000 }, warning: /timeout: -1s is negative/ },
  {
    go: "the seed's consumer group",
    toml: 'JoinGroupBackoff = "1s"\nstartOffset = "-2"\nretentionTime = "-1"\ncommitInterval = "0"\nreadBackoffMin = "100ms"',
    loads: { joinGroupBackoff: 1000, startOffset: -2, retentionTime: -1, commitInterval: 0 },
    warning: null,
  },
];

const consumerRows: Row[] = [
  {
    go: "StartOffset is ignored without a group (reads from the oldest)",
    toml: "startOffset = 5",
    loads: { startOffset: -2 },
    warning: /startOffset: 5 is not -2 \(oldest\) or -1 \(newest\); without a groupID kafka-go ignored it/,
  },
  {
    go: "group-only keys are ignored without a group",
    toml: 'heartbeatInterval = "-1s"\nsessionTimeout = "-1s"',
    loads: { heartbeatInterval: 3000, sessionTimeout: 30_000 },
    warning: null,
  },
  {
    go: "Partition 0 is the zero value, allowed with GroupID",
    toml: 'groupID = "g"\npartition = 0',
    loads: { partition: undefined, groupID: "g" },
    warning: null,
  },
  {
    go: "the seed's consumer",
    toml: 'groupID = "group-1"\nstartOffset = -1\ncommitInterval = "1s"',
    loads: { startOffset: -1, commitInterval: 1000 },
    warning: null,
  },
];

const ENTRY = { producers: "p1", consumerGroups: "cg1", consumers: "c1" } as const;
type Tree = keyof typeof ENTRY;

function tomlOf(tree: Tree, row: Row): string {
  const topicAndGroup = tree === "consumerGroups" ? 'topic = "t"\ngroupID = "g"' : 'topic = "t"';
  return `[kafka]\nbrokers = ["127.0.0.1:9091"]\n[kafka.${tree}.${ENTRY[tree]}]\n${topicAndGroup}\n${row.toml}\n`;
}

/** Warnings the logger of a built component received. */
function buildCollectingWarnings(toml: string): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const cfg = new Config();
  cfg.loadString(toml);
  void load("kafka", cfg)
    .build(withLogger(pino({ level: "warn" }, sink)))
    .close();
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe.each([
  ["producers", producerRows],
  ["consumerGroups", groupRows],
  ["consumers", consumerRows],
] as const)("Go-accepted values of kafka.%s load", (tree, rows) => {
  it.each(rows)("$toml ($go)", (row) => {
    const warnings: string[] = [];
    const kafka = decodeKafkaConfig((parse(tomlOf(tree, row)) as { kafka: unknown }).kafka, "kafka", (m) => warnings.push(m));
    const entry = kafka[tree][ENTRY[tree]]!;
    for (const [field, value] of Object.entries(row.loads)) expect(entry[field as keyof typeof entry], field).toBe(value);
    const key = `kafka.${tree}.${ENTRY[tree]}.`;
    if (row.warning === null) expect(warnings).toEqual([]);
    else {
      expect(warnings.filter((w) => row.warning!.test(w))).toHaveLength(1);
      expect(warnings.every((w) => w.startsWith(key))).toBe(true);
    }
    // The librdkafka configuration stays inside librdkafka's ranges, and librdkafka itself accepts it
    // when the component is built (build constructs every client, without connecting).
    expect(() =>
      tree === "producers" ? producerProperties(kafka, entry as ProducerConfig) : consumerProperties(kafka, entry as ReaderConfig),
    ).not.toThrow();
    const logged = buildCollectingWarnings(tomlOf(tree, row));
    expect(logged).toEqual(warnings);
  });
});

describe("what Go refused is still refused", () => {
  it.each([
    ["consumerGroups", "startOffset = 5", "startOffset"],
    ["consumerGroups", 'commitInterval = "-1s"', "commitInterval"],
    ["consumerGroups", 'sessionTimeout = "-1s"', "sessionTimeout"],
    ["consumerGroups", 'readBackoffMin = "-1s"', "readBackoffMin"],
    ["consumerGroups", "minBytes = 10\nmaxBytes = 5", "minBytes"],
    ["consumers", 'groupID = "g"\npartition = 1', ""],
    ["consumers", "partition = -1", "partition"],
    ["consumers", "minBytes = -1", "minBytes"],
    ["producers", "compression = 5", "compression"],
    ["producers", "requiredAcks = 2", "requiredAcks"],
  ] as const)("kafka.%s: %s", (tree, toml, field) => {
    const text = tomlOf(tree, { go: "", toml, loads: {}, warning: null });
    const keyPath = `kafka.${tree}.${ENTRY[tree]}${field === "" ? "" : `.${field}`}`;
    expect(() => decodeKafkaConfig((parse(text) as { kafka: unknown }).kafka, "kafka", () => undefined)).toThrow(
      new RegExp(`^${keyPath.replace(/\./g, "\\.")}:`),
    );
  });
});
