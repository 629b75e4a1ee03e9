import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { decodeKafkaConfig, kafkaSchema, type KafkaConfig } from "../../src/config.js";
import { ConfigError } from "../../src/core/errors.js";
import {
  adminProperties,
  consumerProperties,
  type LibrdkafkaProperties,
  managedProperties,
  mappingTable,
  PARTITION_READER_GROUP_ID,
  splitByLevel,
  TOPIC_LEVEL_PROPERTIES,
  producerProperties,
  type PropertyValue,
} from "../../src/librdkafka-properties.js";

const THIS_FILE = fileURLToPath(import.meta.url);
const READER_TREES = ["consumers", "consumerGroups"] as const;
type ReaderTree = (typeof READER_TREES)[number];

/** Builds a `[kafka]` TOML with one producer p1 and one reader r1 in each reader tree. */
function kafkaToml(parts: { client?: string; producer?: string; reader?: string; readerWithoutGroup?: boolean }): string {
  // Its own group, so that a static member (groupInstanceID) of both trees is not one member twice.
  const reader = withBaseline(parts.reader ?? "", parts.readerWithoutGroup === true ? { topic: '"t"' } : { topic: '"t"', groupID: '"gc"' });
  // A registry URL, which a producer's or reader's format needs, unless the case sets one itself.
  const registry = parts.client?.includes("schemaRegistry.url") === true ? "" : 'schemaRegistry.url = "http://registry.test"';
  return [
    "[kafka]",
    registry,
    parts.client ?? "",
    "[kafka.producers.p1]",
    parts.producer ?? "",
    "[kafka.consumers.r1]",
    reader,
    "[kafka.consumerGroups.r1]",
    withBaseline(parts.reader ?? "", { topic: '"t"', groupID: '"g"' }),
  ].join("\n");
}

// Adds the keys a reader needs unless the fragment sets that key (or another way to name topics) itself.
function withBaseline(fragment: string, baseline: Record<string, string>): string {
  const written = new Set([...fragment.matchAll(/^\s*(\w+)/gm)].map((match) => match[1]));
  const namesTopics = written.has("topic") || written.has("topics") || written.has("topicRegex");
  const lines = Object.entries(baseline)
    .filter(([key]) => !written.has(key) && !(key === "topic" && namesTopics))
    .map(([key, value]) => `${key} = ${value}`);
  return [...lines, fragment].join("\n");
}

function decodeToml(toml: string): KafkaConfig {
  return decodeKafkaConfig((parse(toml) as Record<string, unknown>)["kafka"], "kafka", () => undefined);
}

const producerOf = (toml: string) => {
  const config = decodeToml(toml);
  return producerProperties(config, config.producers["p1"]!, { instanceKey: "kafka.producers.p1" });
};
const readerOf = (toml: string, tree: ReaderTree) => {
  const config = decodeToml(toml);
  return consumerProperties(config, config[tree]["r1"]!, { instanceKey: `kafka.${tree}.r1` });
};
const adminOf = (toml: string) => adminProperties(decodeToml(toml));

/**
 * One row of the mapping table, exercised: `set` is written into the key's table; then `expected` must
 * be the property's value, or, for a row without a librdkafka property, writing `set` instead of
 * `other` must not change any property.
 */
interface RowCase {
  key: string;
  librdkafka: string | null;
  set: string;
  expected?: PropertyValue;
  other?: string;
  /** For the raw `properties` rows: the property the table entry sets. */
  property?: string;
  readerWithoutGroup?: boolean;
  only?: ReaderTree;
}

const clientCases: RowCase[] = [
  { key: "schemaRegistry.url", librdkafka: null, set: 'schemaRegistry.url = "http://a"', other: 'schemaRegistry.url = "http://b"' },
  { key: "schemaRegistry.userName", librdkafka: null, set: 'schemaRegistry.userName = "u"', other: "" },
  { key: "schemaRegistry.password", librdkafka: null, set: 'schemaRegistry.password = "p"', other: "" },
  { key: "schemaRegistry.timeout", librdkafka: null, set: 'schemaRegistry.timeout = "1s"', other: "" },
  { key: "brokers", librdkafka: "bootstrap.servers", set: 'brokers = ["a:9091", "b:9092"]', expected: "a:9091,b:9092" },
  { key: "debug", librdkafka: null, set: "debug = true", other: "debug = false" },
  { key: "saslMechanism", librdkafka: "sasl.mechanisms", set: SASL("scram-sha-512"), expected: "SCRAM-SHA-512" },
  { key: "saslMechanism", librdkafka: "security.protocol", set: SASL("PLAIN"), expected: "sasl_plaintext" },
  { key: "saslUserName", librdkafka: "sasl.username", set: SASL("PLAIN"), expected: "alice" },
  { key: "saslPassword", librdkafka: "sasl.password", set: SASL("PLAIN"), expected: "hunter2" },
  { key: "client.timeout", librdkafka: null, set: 'client.timeout = "1s"', other: 'client.timeout = "9s"' },
  { key: "enableAccessInterceptor", librdkafka: null, set: "enableAccessInterceptor = true", other: "" },
  { key: "enableAccessInterceptorReq", librdkafka: null, set: "enableAccessInterceptorReq = true", other: "" },
  { key: "enableAccessInterceptorRes", librdkafka: null, set: "enableAccessInterceptorRes = true", other: "" },
  { key: "enableMetricInterceptor", librdkafka: null, set: "enableMetricInterceptor = false", other: "" },
  { key: "enableTraceInterceptor", librdkafka: null, set: "enableTraceInterceptor = false", other: "" },
  { key: "clientID", librdkafka: "client.id", set: 'clientID = "svc"', expected: "svc" },
  { key: "tls.enable", librdkafka: "security.protocol", set: "tls.enable = true", expected: "ssl" },
  { key: "tls.caFile", librdkafka: "ssl.ca.location", set: TLS(`tls.caFile = "${THIS_FILE}"`), expected: THIS_FILE },
  {
    key: "tls.certFile",
    librdkafka: "ssl.certificate.location",
    set: TLS(`tls.certFile = "${THIS_FILE}"\ntls.keyFile = "${THIS_FILE}"`),
    expected: THIS_FILE,
  },
  {
    key: "tls.keyFile",
    librdkafka: "ssl.key.location",
    set: TLS(`tls.certFile = "${THIS_FILE}"\ntls.keyFile = "${THIS_FILE}"`),
    expected: THIS_FILE,
  },
  {
    key: "tls.keyPassword",
    librdkafka: "ssl.key.password",
    set: TLS(`tls.certFile = "${THIS_FILE}"\ntls.keyFile = "${THIS_FILE}"\ntls.keyPassword = "kp"`),
    expected: "kp",
  },
  {
    key: "tls.insecureSkipVerify",
    librdkafka: "enable.ssl.certificate.verification",
    set: TLS("tls.insecureSkipVerify = true"),
    expected: false,
  },
  {
    key: "tls.insecureSkipVerify",
    librdkafka: "ssl.endpoint.identification.algorithm",
    set: TLS("tls.insecureSkipVerify = true"),
    expected: "none",
  },
  {
    key: "properties",
    librdkafka: null,
    set: 'properties."socket.keepalive.enable" = true',
    property: "socket.keepalive.enable",
    expected: "true",
  },
];

function SASL(mechanism: string): string {
  return `saslMechanism = "${mechanism}"\nsaslUserName = "alice"\nsaslPassword = "hunter2"`;
}
function TLS(lines: string): string {
  return `tls.enable = true\n${lines}`;
}

const producerCases: RowCase[] = [
  { key: "valueFormat", librdkafka: null, set: 'valueFormat = "avro"\nuseLatestVersion = true', other: "useLatestVersion = true" },
  { key: "keyFormat", librdkafka: null, set: 'keyFormat = "json-schema"\nuseLatestVersion = true', other: "useLatestVersion = true" },
  {
    key: "valueSchemaFile",
    librdkafka: null,
    set: 'valueFormat = "avro"\nvalueSchemaFile = "a.avsc"',
    other: 'valueFormat = "avro"\nuseLatestVersion = true',
  },
  {
    key: "keySchemaFile",
    librdkafka: null,
    set: 'keyFormat = "avro"\nkeySchemaFile = "k.avsc"',
    other: 'keyFormat = "avro"\nuseLatestVersion = true',
  },
  { key: "useLatestVersion", librdkafka: null, set: "useLatestVersion = true", other: "" },
  { key: "autoRegister", librdkafka: null, set: "autoRegister = false", other: "" },
  { key: "topic", librdkafka: null, set: 'topic = "a"', other: 'topic = "b"' },
  { key: "balancer", librdkafka: null, set: 'balancer = "hash"', other: 'balancer = "roundRobin"' },
  { key: "maxAttempts", librdkafka: "message.send.max.retries", set: "maxAttempts = 3", expected: 2 },
  { key: "batchSize", librdkafka: "batch.num.messages", set: "batchSize = 500", expected: 500 },
  { key: "batchBytes", librdkafka: "batch.size", set: "batchBytes = 2048", expected: 2048 },
  { key: "batchTimeout", librdkafka: "linger.ms", set: 'batchTimeout = "20ms"', expected: 20 },
  { key: "readTimeout", librdkafka: "socket.timeout.ms", set: 'readTimeout = "30s"', expected: 30_000 },
  { key: "writeTimeout", librdkafka: "message.timeout.ms", set: 'writeTimeout = "20s"', expected: 20_000 },
  { key: "requiredAcks", librdkafka: "acks", set: "requiredAcks = 1", expected: 1 },
  { key: "async", librdkafka: null, set: "async = true", other: "async = false" },
  { key: "compression", librdkafka: "compression.codec", set: "compression = 4", expected: "zstd" },
  { key: "idempotent", librdkafka: "enable.idempotence", set: "idempotent = true", expected: true },
  { key: "transactionalID", librdkafka: "transactional.id", set: 'transactionalID = "orders-1"', expected: "orders-1" },
  { key: "transactionalID", librdkafka: "connections.max.idle.ms", set: 'transactionalID = "orders-1"', expected: 5_000 },
  { key: "transactionalID", librdkafka: "retry.backoff.ms", set: 'transactionalID = "orders-1"', expected: 20 },
  {
    key: "transactionTimeout",
    librdkafka: "transaction.timeout.ms",
    set: 'transactionalID = "orders-1"\ntransactionTimeout = "30s"',
    expected: 30_000,
  },
  { key: "clientID", librdkafka: "client.id", set: 'clientID = "svc-p1"', expected: "svc-p1" },
  { key: "properties", librdkafka: null, set: 'properties."linger.ms" = 7', property: "linger.ms", expected: "7" },
];

const readerCases: RowCase[] = [
  { key: "topic", librdkafka: null, set: 'topic = "a"', other: 'topic = "b"' },
  { key: "topics", librdkafka: null, set: 'topics = ["a", "b"]', other: 'topics = ["c"]' },
  { key: "topicRegex", librdkafka: null, set: 'topicRegex = "a.*"', other: 'topicRegex = "b.*"' },
  { key: "groupID", librdkafka: "group.id", set: 'groupID = "orders"', expected: "orders" },
  { key: "groupInstanceID", librdkafka: "group.instance.id", set: 'groupInstanceID = "member-1"', expected: "member-1" },
  { key: "groupProtocol", librdkafka: "group.protocol", set: 'groupProtocol = "consumer"', expected: "consumer" },
  {
    key: "groupRemoteAssignor",
    librdkafka: "group.remote.assignor",
    set: 'groupProtocol = "consumer"\ngroupRemoteAssignor = "uniform"',
    expected: "uniform",
  },
  {
    key: "assignmentStrategy",
    librdkafka: "partition.assignment.strategy",
    set: 'assignmentStrategy = "Cooperative-Sticky"',
    expected: "cooperative-sticky",
  },
  {
    key: "partition",
    librdkafka: null,
    set: "partition = 1",
    other: "partition = 2",
    readerWithoutGroup: true,
    only: "consumers",
  },
  { key: "minBytes", librdkafka: "fetch.min.bytes", set: "minBytes = 10", expected: 10 },
  { key: "maxBytes", librdkafka: "max.partition.fetch.bytes", set: "maxBytes = 2000000", expected: 2_000_000 },
  { key: "maxWait", librdkafka: "fetch.wait.max.ms", set: 'maxWait = "250ms"', expected: 250 },
  { key: "startOffset", librdkafka: "auto.offset.reset", set: "startOffset = -1", expected: "latest" },
  { key: "commitInterval", librdkafka: "auto.commit.interval.ms", set: 'commitInterval = "2s"', expected: 2000 },
  { key: "heartbeatInterval", librdkafka: "heartbeat.interval.ms", set: 'heartbeatInterval = "1s"', expected: 1000 },
  { key: "sessionTimeout", librdkafka: "session.timeout.ms", set: 'sessionTimeout = "45s"\nrebalanceTimeout = "45s"', expected: 45_000 },
  { key: "rebalanceTimeout", librdkafka: "max.poll.interval.ms", set: 'rebalanceTimeout = "60s"', expected: 60_000 },
  { key: "joinGroupBackoff", librdkafka: null, set: 'joinGroupBackoff = "1s"', other: 'joinGroupBackoff = "2s"' },
  { key: "retentionTime", librdkafka: null, set: 'retentionTime = "24h"', other: "retentionTime = -1" },
  { key: "readLagInterval", librdkafka: null, set: 'readLagInterval = "1s"', other: "readLagInterval = -1" },
  {
    key: "watchPartitionChanges",
    librdkafka: "topic.metadata.refresh.interval.ms",
    set: "watchPartitionChanges = true",
    expected: 5000,
  },
  {
    key: "partitionWatchInterval",
    librdkafka: "topic.metadata.refresh.interval.ms",
    set: 'watchPartitionChanges = true\npartitionWatchInterval = "2s"',
    expected: 2000,
  },
  { key: "readBackoffMin", librdkafka: "retry.backoff.ms", set: 'readBackoffMin = "200ms"', expected: 200 },
  { key: "readBackoffMin", librdkafka: "fetch.error.backoff.ms", set: 'readBackoffMin = "200ms"', expected: 200 },
  { key: "readBackoffMax", librdkafka: "retry.backoff.max.ms", set: 'readBackoffMax = "3s"', expected: 3000 },
  { key: "timeout", librdkafka: null, set: 'timeout = "1s"', other: 'timeout = "2s"' },
  { key: "isolationLevel", librdkafka: "isolation.level", set: 'isolationLevel = "read_uncommitted"', expected: "read_uncommitted" },
  { key: "clientID", librdkafka: "client.id", set: 'clientID = "svc-r1"', expected: "svc-r1" },
  {
    key: "properties",
    librdkafka: null,
    set: 'properties."fetch.queue.backoff.ms" = 50',
    property: "fetch.queue.backoff.ms",
    expected: "50",
  },
  { key: "valueFormat", librdkafka: null, set: 'valueFormat = "avro"', other: "" },
  { key: "keyFormat", librdkafka: null, set: 'keyFormat = "json-schema"', other: "" },
];

/** Every case with the full key under `[kafka]` and a function giving the properties for a fragment. */
const allCases: Array<RowCase & { fullKey: string; propertiesFor: (fragment: string) => LibrdkafkaProperties }> = [
  ...clientCases.flatMap((c) => [
    { ...c, fullKey: c.key, propertiesFor: (f: string) => adminOf(kafkaToml({ client: f })) },
    { ...c, fullKey: c.key, propertiesFor: (f: string) => producerOf(kafkaToml({ client: f })) },
    { ...c, fullKey: c.key, propertiesFor: (f: string) => readerOf(kafkaToml({ client: f }), "consumerGroups") },
  ]),
  // Statistics go to producers and readers; the admin client gets none (see the admin tests below).
  ...(["producer", "reader"] as const).map((kind) => ({
    key: "statisticsInterval",
    librdkafka: "statistics.interval.ms",
    set: 'statisticsInterval = "1500ms"',
    expected: 1500,
    fullKey: "statisticsInterval",
    propertiesFor: (f: string) =>
      kind === "producer" ? producerOf(kafkaToml({ client: f })) : readerOf(kafkaToml({ client: f }), "consumerGroups"),
  })),
  ...producerCases.map((c) => ({
    ...c,
    fullKey: `producers.<name>.${c.key}`,
    propertiesFor: (f: string) => producerOf(kafkaToml({ producer: f })),
  })),
  ...READER_TREES.flatMap((tree) =>
    readerCases
      .filter((c) => c.only === undefined || c.only === tree)
      .map((c) => ({
        ...c,
        fullKey: `${tree}.<name>.${c.key}`,
        propertiesFor: (f: string) => readerOf(kafkaToml({ reader: f, readerWithoutGroup: c.readerWithoutGroup }), tree),
      })),
  ),
];

describe("every row of the mapping table", () => {
  it("has a case here (so each row is exercised below)", () => {
    const covered = new Set(allCases.map((c) => `${c.fullKey} -> ${c.librdkafka}`));
    const uncovered = mappingTable.map((row) => `${row.key} -> ${row.librdkafka}`).filter((row) => !covered.has(row));
    expect(uncovered).toEqual([]);
  });

  it("names only rows that exist", () => {
    const rows = new Set(mappingTable.map((row) => `${row.key} -> ${row.librdkafka}`));
    expect(allCases.map((c) => `${c.fullKey} -> ${c.librdkafka}`).filter((c) => !rows.has(c))).toEqual([]);
  });

  it.each(allCases.map((c) => [`${c.fullKey} -> ${c.librdkafka ?? c.property ?? "(none)"}`, c] as const))("%s", (_label, c) => {
    const properties = c.propertiesFor(c.set);
    if (c.librdkafka !== null) {
      expect(properties[c.librdkafka]).toBe(c.expected);
    } else if (c.property !== undefined) {
      expect(properties[c.property]).toBe(c.expected);
    } else {
      expect(properties).toEqual(c.propertiesFor(c.other ?? ""));
    }
  });
});

describe("mappingTable", () => {
  it("covers every key of the kafka schema", () => {
    const keys: string[] = [];
    const collect = (schema: Record<string, { type: string; fields?: unknown; of?: unknown }>, prefix: string) => {
      for (const [name, spec] of Object.entries(schema)) {
        if (spec.type === "object") collect(spec.fields as never, `${prefix}${name}.`);
        else if (spec.type === "map") collect(spec.of as never, `${prefix}${name}.<name>.`);
        else keys.push(`${prefix}${name}`);
      }
    };
    collect(kafkaSchema, "");
    const mapped = new Set(mappingTable.map((row) => row.key));
    expect(keys.filter((key) => !mapped.has(key))).toEqual([]);
  });

  it("shows types and defaults from the schema, as a user writes them", () => {
    const find = (key: string, librdkafka?: string) =>
      mappingTable.find((row) => row.key === key && (librdkafka === undefined || row.librdkafka === librdkafka));
    expect(find("producers.<name>.batchTimeout")).toEqual({
      key: "producers.<name>.batchTimeout",
      type: "duration",
      default: '"5ms"',
      librdkafka: "linger.ms",
      note: expect.any(String),
    });
    expect(find("producers.<name>.compression")).toMatchObject({ type: "integer", default: "0" });
    expect(find("consumers.<name>.startOffset")).toMatchObject({ default: "-2", librdkafka: "auto.offset.reset" });
    expect(find("consumerGroups.<name>.retentionTime")).toMatchObject({ default: '"-1" (disabled)', librdkafka: null });
    expect(find("consumerGroups.<name>.readBackoffMin", "retry.backoff.ms")).toMatchObject({ default: '"100ms"' });
    expect(find("client.timeout")).toMatchObject({ default: '"3s"' });
    expect(find("tls.caFile")).toMatchObject({ type: "string", default: "—" });
    expect(find("brokers")).toMatchObject({ type: "list of strings", default: "[]" });
    expect(find("consumerGroups.<name>.isolationLevel")).toMatchObject({
      type: '"read_committed" | "read_uncommitted"',
      default: '"read_committed"',
    });
  });

  it("explains every row that has no librdkafka property", () => {
    for (const row of mappingTable.filter((r) => r.librdkafka === null)) expect(row.note).not.toBe("");
  });

  it("lists consumer partition only under consumers", () => {
    expect(mappingTable.some((row) => row.key === "consumers.<name>.partition")).toBe(true);
    expect(mappingTable.some((row) => row.key === "consumerGroups.<name>.partition")).toBe(false);
  });
});

describe("producerProperties", () => {
  it("maps a default producer as documented", () => {
    expect(producerOf(kafkaToml({ client: 'brokers = ["k:9092"]', producer: 'topic = "t"' }))).toEqual({
      "bootstrap.servers": "k:9092",
      "message.send.max.retries": 9,
      "batch.num.messages": 100,
      "batch.size": 1_048_576,
      "linger.ms": 5,
      "socket.timeout.ms": 10_000,
      "message.timeout.ms": 10_000,
      acks: -1,
      "compression.codec": "none",
      "enable.idempotence": false,
      "max.in.flight.requests.per.connection": 5,
      "statistics.interval.ms": 5000,
      dr_cb: true,
    });
  });

  it("lets a raw property replace a changed librdkafka default", () => {
    const props = producerOf(
      kafkaToml({
        client: 'brokers = ["k:9092"]',
        producer: 'topic = "t"\n[kafka.producers.p1.properties]\n"max.in.flight.requests.per.connection" = 1',
      }),
    );
    expect(props["max.in.flight.requests.per.connection"]).toBe("1");
  });

  it.each([
    [0, "none"],
    [1, "gzip"],
    [2, "snappy"],
    [3, "lz4"],
    [4, "zstd"],
  ])("maps compression %d to %s", (code, codec) => {
    expect(producerOf(kafkaToml({ producer: `compression = ${code}` }))["compression.codec"]).toBe(codec);
  });

  it.each([
    [-1, -1],
    [0, 0],
    [1, 1],
  ])("passes requiredAcks %d as acks %d", (acks, expected) => {
    expect(producerOf(kafkaToml({ producer: `requiredAcks = ${acks}` }))["acks"]).toBe(expected);
  });

  it("rounds sub-millisecond durations up", () => {
    expect(producerOf(kafkaToml({ producer: 'batchTimeout = "1500us"' }))["linger.ms"]).toBe(2);
  });

  it("lets the producer's clientID override the component's", () => {
    expect(producerOf(kafkaToml({ client: 'clientID = "svc"', producer: 'clientID = "mine"' }))["client.id"]).toBe("mine");
    expect(producerOf(kafkaToml({ client: 'clientID = "svc"' }))["client.id"]).toBe("svc");
  });

  it("applies raw properties last: the component's, then the producer's", () => {
    const toml = kafkaToml({
      client: 'properties."linger.ms" = 1\nproperties."acks" = 1',
      producer: 'batchTimeout = "5ms"\nproperties."linger.ms" = 2',
    });
    const properties = producerOf(toml);
    expect(properties["linger.ms"]).toBe("2");
    expect(properties["acks"]).toBe("1");
    expect(producerOf(kafkaToml({ client: 'properties."linger.ms" = 1' }))["linger.ms"]).toBe("1");
  });

  it("refuses a raw property that would turn delivery reports off", () => {
    let error: unknown;
    try {
      producerOf(kafkaToml({ producer: 'properties."dr_cb" = false' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("kafka.producers.p1.properties.dr_cb");
  });

  // Loading brings Go-accepted values inside librdkafka's ranges (go-values.ts); a config built in code
  // may still hold one outside them.
  it("reports a value librdkafka would refuse against our key", () => {
    let error: unknown;
    const config = decodeToml(kafkaToml({}));
    config.producers["p1"]!.readTimeout = 400_000;
    try {
      producerProperties(config, config.producers["p1"]!, { instanceKey: "kafka.producers.p1" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "kafka.producers.p1.readTimeout: gives librdkafka socket.timeout.ms = 400000, outside the range it accepts (10..300000)",
    );
  });

  it("names the producer with a placeholder when no key path is given", () => {
    const config = decodeToml(kafkaToml({}));
    config.producers["p1"]!.readTimeout = 5;
    expect(() => producerProperties(config, config.producers["p1"]!)).toThrow(/^kafka\.producers\.<name>\.readTimeout:/);
  });
});

describe("consumerProperties", () => {
  it("maps a default consumer group member as documented", () => {
    expect(readerOf(kafkaToml({ client: 'brokers = ["k:9092"]' }), "consumerGroups")).toEqual({
      "fetch.queue.backoff.ms": 100,
      "bootstrap.servers": "k:9092",
      "statistics.interval.ms": 5000,
      "group.id": "g",
      "group.protocol": "classic",
      "partition.assignment.strategy": "range,roundrobin",
      "fetch.min.bytes": 1,
      "max.partition.fetch.bytes": 1_048_576,
      "fetch.wait.max.ms": 10_000,
      "auto.offset.reset": "earliest",
      "auto.commit.interval.ms": 1000,
      "heartbeat.interval.ms": 3000,
      "session.timeout.ms": 30_000,
      "max.poll.interval.ms": 30_000,
      "retry.backoff.ms": 100,
      "fetch.error.backoff.ms": 100,
      "retry.backoff.max.ms": 1000,
      "isolation.level": "read_committed",
      "enable.partition.eof": false,
      "enable.auto.commit": true,
      "enable.auto.offset.store": false,
    });
  });

  it("lets a raw property replace the changed fetch queue backoff, at the component or the instance", () => {
    const atInstance = readerOf(kafkaToml({ reader: 'properties."fetch.queue.backoff.ms" = 1000' }), "consumerGroups");
    expect(atInstance["fetch.queue.backoff.ms"]).toBe("1000");
    const atComponent = readerOf(kafkaToml({ client: 'properties."fetch.queue.backoff.ms" = 250' }), "consumers");
    expect(atComponent["fetch.queue.backoff.ms"]).toBe("250");
  });

  it("leaves group settings out for a consumer that reads one partition without a group, and commits nothing", () => {
    const properties = readerOf(kafkaToml({ reader: "partition = 2", readerWithoutGroup: true }), "consumers");
    for (const name of ["auto.commit.interval.ms", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms"]) {
      expect(properties).not.toHaveProperty([name]);
    }
    expect(properties).toMatchObject({
      // librdkafka's KafkaConsumer cannot be created without a group.id, so it gets a placeholder it never joins.
      "group.id": PARTITION_READER_GROUP_ID,
      "enable.auto.commit": false,
      "enable.auto.offset.store": false,
      "enable.partition.eof": false,
      "auto.offset.reset": "earliest",
    });
  });

  it("refuses turning auto-commit on for a reader without a group", () => {
    expect(() =>
      readerOf(kafkaToml({ reader: 'partition = 0\nproperties."enable.auto.commit" = true', readerWithoutGroup: true }), "consumers"),
    ).toThrow(/^kafka\.consumers\.r1\.properties\.enable\.auto\.commit: is managed/);
  });

  it("treats a consumer with a groupID as a group member", () => {
    const properties = readerOf(kafkaToml({}), "consumers");
    expect(properties).toMatchObject({ "group.id": "gc", "enable.auto.commit": true, "enable.auto.offset.store": false });
  });

  it("maps startOffset -2 to earliest and -1 to latest", () => {
    expect(readerOf(kafkaToml({ reader: "startOffset = -2" }), "consumerGroups")["auto.offset.reset"]).toBe("earliest");
    expect(readerOf(kafkaToml({ reader: "startOffset = -1" }), "consumerGroups")["auto.offset.reset"]).toBe("latest");
  });

  it("auto-commits every second when commitInterval is 0 (commitMessages then commits synchronously too)", () => {
    expect(readerOf(kafkaToml({ reader: "commitInterval = 0" }), "consumerGroups")["auto.commit.interval.ms"]).toBe(1000);
  });

  it("leaves the metadata refresh to librdkafka unless partitions are watched", () => {
    const properties = readerOf(kafkaToml({ reader: 'partitionWatchInterval = "2s"' }), "consumerGroups");
    expect(properties).not.toHaveProperty(["topic.metadata.refresh.interval.ms"]);
  });

  it("refuses raw properties that would break at-least-once commits, naming the table entry", () => {
    let error: unknown;
    try {
      readerOf(kafkaToml({ reader: 'properties."enable.auto.offset.store" = true' }), "consumerGroups");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("kafka.consumerGroups.r1.properties.enable.auto.offset.store");
    expect(() => readerOf(kafkaToml({ client: 'properties."enable.auto.commit" = false' }), "consumerGroups")).toThrow(
      /^kafka\.properties\.enable\.auto\.commit: is managed by ekafka/,
    );
  });

  it("accepts a raw property that repeats a managed value", () => {
    const properties = readerOf(kafkaToml({ reader: 'properties."enable.partition.eof" = false' }), "consumerGroups");
    expect(properties["enable.partition.eof"]).toBe("false");
  });

  it("lets raw properties override typed keys", () => {
    const properties = readerOf(kafkaToml({ reader: 'maxWait = "1s"\nproperties."fetch.wait.max.ms" = 100' }), "consumerGroups");
    expect(properties["fetch.wait.max.ms"]).toBe("100");
  });
});

describe("adminProperties", () => {
  it("carries connection and security settings and the component's raw properties only", () => {
    const toml = kafkaToml({
      client: `brokers = ["k:9092"]\nclientID = "svc"\n${SASL("SCRAM-SHA-256")}\n${TLS(`tls.caFile = "${THIS_FILE}"`)}\nproperties."socket.keepalive.enable" = true`,
      producer: 'properties."linger.ms" = 5',
    });
    expect(adminOf(toml)).toEqual({
      "bootstrap.servers": "k:9092",
      "client.id": "svc",
      "sasl.mechanisms": "SCRAM-SHA-256",
      "sasl.username": "alice",
      "sasl.password": "hunter2",
      "security.protocol": "sasl_ssl",
      "ssl.ca.location": THIS_FILE,
      "socket.keepalive.enable": "true",
    });
  });

  it("sets no security properties for a plaintext cluster", () => {
    expect(adminOf(kafkaToml({ client: 'brokers = ["k:9092"]' }))).toEqual({ "bootstrap.servers": "k:9092" });
  });
});

describe("managedProperties", () => {
  it("are the ones the component relies on", () => {
    expect(managedProperties).toEqual({
      producer: { dr_cb: true },
      reader: { "enable.partition.eof": false },
      group: { "enable.auto.commit": true, "enable.auto.offset.store": false },
      partitionReader: { "enable.auto.commit": false, "enable.auto.offset.store": false },
    });
  });
});

describe("splitByLevel", () => {
  it("moves topic-level properties to the topic half, so a topic argument cannot reset them", () => {
    const { global, topic } = splitByLevel(readerOf(kafkaToml({ reader: "startOffset = -2" }), "consumerGroups"));
    expect(topic).toEqual({ "auto.offset.reset": "earliest" });
    expect(global).toMatchObject({ "group.id": "g", "enable.auto.commit": true, "auto.commit.interval.ms": 1000 });
    expect(global).not.toHaveProperty(["auto.offset.reset"]);
  });

  it("splits a producer's acks and delivery timeout off, keeping compression global", () => {
    const { global, topic } = splitByLevel(producerOf(kafkaToml({ producer: "compression = 1" })));
    expect(topic).toEqual({ acks: -1, "message.timeout.ms": 10_000 });
    expect(global["compression.codec"]).toBe("gzip");
  });

  it("keeps properties that exist at both levels global (the high-level consumer reads the global ones)", () => {
    for (const name of ["enable.auto.commit", "auto.commit.interval.ms", "compression.codec", "compression.type"]) {
      expect(TOPIC_LEVEL_PROPERTIES.has(name)).toBe(false);
    }
  });
});
