import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { afterEach, describe, expect, it } from "vitest";
import { decodeKafkaConfig, kafkaFieldSpec, kafkaSchema, type KafkaConfig, subscriptionOf } from "../../src/config.js";
import { ConfigError } from "../../src/core/errors.js";
import { consumerProperties, producerProperties } from "../../src/librdkafka-properties.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/core/${name}`, import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

/** Decodes the `[kafka]` table of a TOML text, collecting warnings. */
function load(toml: string): { config: KafkaConfig; warnings: string[] } {
  const warnings: string[] = [];
  const root = parse(toml) as Record<string, unknown>;
  const config = decodeKafkaConfig(root["kafka"], "kafka", (message) => warnings.push(message));
  return { config, warnings };
}
const decodeToml = (toml: string): KafkaConfig => load(toml).config;
const loadFixture = (name: string) => load(readFileSync(fixture(name), "utf8"));

/** The ConfigError that decoding `toml` throws. */
function failure(toml: string): ConfigError {
  try {
    decodeToml(toml);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const CONSUMER_GROUP = `
[kafka.consumerGroups.cg1]
groupID = "g1"
topic = "t1"
`;

describe("defaults", () => {
  it("decodes an absent tree to the documented defaults", () => {
    const config = decodeKafkaConfig(undefined, "kafka");
    expect(config).toEqual({
      brokers: [],
      debug: false,
      saslMechanism: "",
      saslUserName: "",
      saslPassword: "",
      client: { timeout: 3000 },
      enableAccessInterceptor: false,
      enableAccessInterceptorReq: false,
      enableAccessInterceptorRes: false,
      enableMetricInterceptor: true,
      enableTraceInterceptor: true,
      clientID: undefined,
      statisticsInterval: 5000,
      tls: {
        enable: false,
        caFile: undefined,
        certFile: undefined,
        keyFile: undefined,
        keyPassword: undefined,
        insecureSkipVerify: false,
      },
      schemaRegistry: { url: undefined, userName: undefined, password: undefined, timeout: 5000 },
      properties: {},
      producers: {},
      consumers: {},
      consumerGroups: {},
    });
  });

  it("gives a producer kafka-go's defaults (requiredAcks -1 by choice)", () => {
    const { producers } = decodeToml(`[kafka.producers.p1]\ntopic = "t"`);
    expect(producers["p1"]).toEqual({
      topic: "t",
      balancer: "roundRobin",
      maxAttempts: 10,
      batchSize: 100,
      batchBytes: 1_048_576,
      batchTimeout: 5,
      readTimeout: 10_000,
      writeTimeout: 10_000,
      requiredAcks: -1,
      async: false,
      compression: 0,
      idempotent: false,
      transactionalID: undefined,
      transactionTimeout: 60000,
      clientID: undefined,
      useLatestVersion: false,
      autoRegister: true,
      properties: {},
    });
  });

  it("gives a consumer group kafka-go's reader defaults", () => {
    const { consumerGroups } = decodeToml(CONSUMER_GROUP);
    expect(consumerGroups["cg1"]).toEqual({
      topic: "t1",
      topics: [],
      topicRegex: undefined,
      groupID: "g1",
      groupInstanceID: undefined,
      groupProtocol: "classic",
      groupRemoteAssignor: undefined,
      assignmentStrategy: ["range", "roundrobin"],
      minBytes: 1,
      maxBytes: 1_048_576,
      maxWait: 10_000,
      startOffset: -2,
      commitInterval: 0,
      heartbeatInterval: 3000,
      sessionTimeout: 30_000,
      rebalanceTimeout: 30_000,
      joinGroupBackoff: 5000,
      retentionTime: -1,
      readLagInterval: 60_000,
      watchPartitionChanges: false,
      partitionWatchInterval: 5000,
      readBackoffMin: 100,
      readBackoffMax: 1000,
      timeout: 5000,
      isolationLevel: "read_committed",
      clientID: undefined,
      properties: {},
    });
  });

  it("leaves a consumer's partition unset unless written", () => {
    const { consumers } = decodeToml(`[kafka.consumers.c1]\ntopic = "t"`);
    expect(consumers["c1"]?.partition).toBeUndefined();
    expect(consumers["c1"]?.groupID).toBeUndefined();
  });
});

describe("the seed's example files (a Go user's TOML keeps working)", () => {
  it("reads the producer example", () => {
    const { config, warnings } = loadFixture("seed-producer.toml");
    expect(warnings).toEqual([]);
    expect(config.brokers).toEqual(["localhost:9091", "localhost:9092", "localhost:9093"]);
    expect(config.client.timeout).toBe(3000);
    expect(config.producers["p1"]?.topic).toBe("test_topic");
  });

  it("reads the compression example", () => {
    expect(loadFixture("seed-compression.toml").config.producers["p1"]?.compression).toBe(1);
  });

  it("reads the SASL example", () => {
    const { config, warnings } = loadFixture("seed-sasl.toml");
    expect(warnings).toEqual([]);
    expect(config.saslMechanism).toBe("PLAIN");
    expect(config.saslUserName).toBe("username");
    expect(config.saslPassword).toBe("password");
    expect(config.debug).toBe(true);
    expect(config.consumers["c1"]).toMatchObject({ topic: "sre-infra-test", groupID: "group-1" });
  });

  it("reads the consumer group quick start, with the capitalised JoinGroupBackoff", () => {
    const { config, warnings } = loadFixture("seed-consumer-group-quickstart.toml");
    expect(warnings).toEqual([]);
    expect(config.consumerGroups["cg1"]).toMatchObject({ joinGroupBackoff: 1000, groupID: "group-1", topic: "my-topic" });
  });

  it("reads the full consumer group reference, string numbers and all", () => {
    const { config, warnings } = loadFixture("seed-consumer-group-reference.toml");
    expect(warnings).toEqual([]);
    expect(config.consumerGroups["cg1"]).toMatchObject({
      heartbeatInterval: 3000,
      partitionWatchInterval: 5000,
      watchPartitionChanges: false,
      sessionTimeout: 30_000,
      rebalanceTimeout: 30_000,
      joinGroupBackoff: 5000,
      startOffset: -2,
      retentionTime: -1,
      timeout: 5000,
      minBytes: 1,
      maxBytes: 1_048_576,
      maxWait: 10_000,
      readLagInterval: 60_000,
      commitInterval: 0,
      readBackoffMin: 100,
      readBackoffMax: 1000,
    });
  });

  it("reads the consumer server example and leaves kafkaConsumerServers alone", () => {
    const { config, warnings } = loadFixture("seed-consumer-server.toml");
    expect(warnings).toEqual([]);
    expect(config.consumers["c1"]).toMatchObject({ startOffset: -1, commitInterval: 1000, groupID: "group-1" });
    expect(config.consumerGroups["cg1"]).toMatchObject({ startOffset: -1, commitInterval: 1000 });
  });
});

describe("values as Go's loader reads them", () => {
  it("treats a zero that kafka-go reads as 'unset' as the default", () => {
    const config = decodeToml(`
[kafka.client]
timeout = 0
[kafka.producers.p1]
maxAttempts = 0
batchSize = 0
batchBytes = 0
batchTimeout = "0"
readTimeout = "0s"
writeTimeout = 0
[kafka.consumerGroups.cg1]
groupID = "g"
topic = "t"
startOffset = 0
minBytes = 0
maxBytes = 0
maxWait = "0"
sessionTimeout = 0
heartbeatInterval = 0
rebalanceTimeout = 0
readBackoffMin = 0
readBackoffMax = 0
timeout = 0
`);
    expect(config.client.timeout).toBe(3000);
    expect(config.producers["p1"]).toMatchObject({
      maxAttempts: 10,
      batchSize: 100,
      batchBytes: 1_048_576,
      batchTimeout: 5,
      readTimeout: 10_000,
      writeTimeout: 10_000,
    });
    expect(config.consumerGroups["cg1"]).toMatchObject({
      startOffset: -2,
      minBytes: 1,
      maxBytes: 1_048_576,
      maxWait: 10_000,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      rebalanceTimeout: 30_000,
      readBackoffMin: 100,
      readBackoffMax: 1000,
      timeout: 5000,
    });
  });

  it("keeps zeros that mean something", () => {
    const config = decodeToml(`
[kafka.producers.p1]
requiredAcks = 0
compression = 0
[kafka.consumers.c1]
topic = "t"
partition = 0
commitInterval = 0
`);
    expect(config.producers["p1"]).toMatchObject({ requiredAcks: 0, compression: 0 });
    expect(config.consumers["c1"]).toMatchObject({ partition: 0, commitInterval: 0 });
  });

  it("accepts numbers written as strings and Go durations", () => {
    const config = decodeToml(`
[kafka.producers.p1]
requiredAcks = "1"
batchTimeout = "20ms"
[kafka.consumerGroups.cg1]
groupID = "g"
topic = "t"
startOffset = "-1"
sessionTimeout = "1m30s"
rebalanceTimeout = "2m"
readLagInterval = "-1"
`);
    expect(config.producers["p1"]).toMatchObject({ requiredAcks: 1, batchTimeout: 20 });
    expect(config.consumerGroups["cg1"]).toMatchObject({
      startOffset: -1,
      sessionTimeout: 90_000,
      rebalanceTimeout: 120_000,
      readLagInterval: -1,
    });
  });

  it("expands ${ENV} in secrets", () => {
    process.env["EKAFKA_TEST_PASSWORD"] = "s3cret";
    const config = decodeToml(`
[kafka]
saslMechanism = "PLAIN"
saslUserName = "u"
saslPassword = "\${EKAFKA_TEST_PASSWORD}"
`);
    expect(config.saslPassword).toBe("s3cret");
    delete process.env["EKAFKA_TEST_PASSWORD"];
  });

  it("warns about an unknown key with a suggestion, and still loads", () => {
    const { config, warnings } = load(`[kafka.producers.p1]\ntopic = "t"\nbatchTimout = "5ms"`);
    expect(config.producers["p1"]?.batchTimeout).toBe(5);
    expect(warnings).toEqual(["kafka.producers.p1.batchTimout: unknown key; did you mean batchTimeout?"]);
  });

  it("rejects a value of the wrong type naming the full key", () => {
    const error = failure(`[kafka.producers.p1]\nbatchSize = "lots"`);
    expect(error.key).toBe("kafka.producers.p1.batchSize");
  });
});

describe("extensions beyond the Go original", () => {
  it("reads several topics, a topic regex, isolation level, client ids and TLS", () => {
    const config = decodeToml(`
[kafka]
clientID = "svc"
[kafka.tls]
enable = true
caFile = "${THIS_FILE}"
insecureSkipVerify = true
[kafka.producers.p1]
idempotent = true
clientID = "svc-p1"
[kafka.consumerGroups.multi]
groupID = "g"
topics = ["a", "b"]
isolationLevel = "READ_UNCOMMITTED"
[kafka.consumerGroups.regex]
groupID = "g"
topicRegex = "orders-.*"
`);
    expect(config.clientID).toBe("svc");
    expect(config.tls).toMatchObject({ enable: true, caFile: THIS_FILE, insecureSkipVerify: true });
    expect(config.producers["p1"]).toMatchObject({ idempotent: true, clientID: "svc-p1" });
    expect(config.consumerGroups["multi"]).toMatchObject({ topics: ["a", "b"], isolationLevel: "read_uncommitted" });
    expect(config.consumerGroups["regex"]?.topicRegex).toBe("orders-.*");
  });

  it("reads raw librdkafka properties at each level, flattening TOML dotted keys", () => {
    const config = decodeToml(`
[kafka.properties]
"statistics.interval.ms" = 0
[kafka.producers.p1.properties]
"linger.ms" = 5
queue.buffering.max.messages = 1000
[kafka.consumerGroups.cg1]
groupID = "g"
topic = "t"
[kafka.consumerGroups.cg1.properties]
"fetch.queue.backoff.ms" = "50"
`);
    expect(config.properties).toEqual({ "statistics.interval.ms": "0" });
    expect(config.producers["p1"]?.properties).toEqual({ "linger.ms": "5", "queue.buffering.max.messages": "1000" });
    expect(config.consumerGroups["cg1"]?.properties).toEqual({ "fetch.queue.backoff.ms": "50" });
  });
});

describe("SASL", () => {
  it("accepts each mechanism in any case, returning the canonical spelling", () => {
    for (const [written, canonical] of [
      ["plain", "PLAIN"],
      ["scram-sha-256", "SCRAM-SHA-256"],
      ["SCRAM-SHA-512", "SCRAM-SHA-512"],
    ]) {
      const config = decodeToml(`[kafka]\nsaslMechanism = "${written}"\nsaslUserName = "u"\nsaslPassword = "p"`);
      expect(config.saslMechanism).toBe(canonical);
    }
  });

  it("rejects an unknown mechanism naming the key and the accepted ones", () => {
    const error = failure(`[kafka]\nsaslMechanism = "SCRAM-SHA256"\nsaslUserName = "u"\nsaslPassword = "hunter2"`);
    expect(error.key).toBe("kafka.saslMechanism");
    expect(error.message).toBe(
      'kafka.saslMechanism: unknown SASL mechanism "SCRAM-SHA256" (did you mean SCRAM-SHA-256?); ' +
        "expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, or leave it empty for no SASL",
    );
    expect(error.message).not.toContain("hunter2");
  });

  it("requires a user name and a password with a mechanism, without echoing the password", () => {
    const noUser = failure(`[kafka]\nsaslMechanism = "PLAIN"\nsaslPassword = "hunter2"`);
    expect(noUser.key).toBe("kafka.saslUserName");
    expect(noUser.message).not.toContain("hunter2");
    expect(failure(`[kafka]\nsaslMechanism = "PLAIN"\nsaslUserName = "u"`).key).toBe("kafka.saslPassword");
  });

  it("rejects GSSAPI (not supported) without a misleading suggestion", () => {
    expect(failure(`[kafka]\nsaslMechanism = "GSSAPI"`).message).toBe(
      'kafka.saslMechanism: unknown SASL mechanism "GSSAPI"; expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, ' +
        "or leave it empty for no SASL",
    );
  });

  it("warns when credentials are given without a mechanism", () => {
    const { warnings } = load(`[kafka]\nsaslUserName = "u"\nsaslPassword = "hunter2"`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("SASL is off");
    expect(warnings[0]).not.toContain("hunter2");
  });
});

describe("TLS", () => {
  it("refuses TLS files while TLS is off, so nobody connects in plaintext by mistake", () => {
    const error = failure(`[kafka.tls]\ncaFile = "${THIS_FILE}"`);
    expect(error.key).toBe("kafka.tls");
    expect(error.message).toContain("set enable = true");
  });

  it("needs certFile and keyFile together", () => {
    expect(failure(`[kafka.tls]\nenable = true\ncertFile = "${THIS_FILE}"`).key).toBe("kafka.tls.keyFile");
    expect(failure(`[kafka.tls]\nenable = true\nkeyFile = "${THIS_FILE}"`).key).toBe("kafka.tls.certFile");
  });

  it("needs keyFile for keyPassword, without echoing it", () => {
    const error = failure(`[kafka.tls]\nenable = true\nkeyPassword = "hunter2"`);
    expect(error.key).toBe("kafka.tls.keyPassword");
    expect(error.message).not.toContain("hunter2");
  });

  it("names a missing file", () => {
    const error = failure(`[kafka.tls]\nenable = true\ncaFile = "/nonexistent/ca.pem"`);
    expect(error.key).toBe("kafka.tls.caFile");
    expect(error.message).toContain("/nonexistent/ca.pem");
  });
});

describe("producer rules", () => {
  it.each([
    ["compression = 5", "kafka.producers.p1.compression"],
    ["requiredAcks = 2", "kafka.producers.p1.requiredAcks"],
    ["idempotent = true\nrequiredAcks = 1", "kafka.producers.p1.requiredAcks"],
    ["idempotent = true\nmaxAttempts = 1", "kafka.producers.p1.maxAttempts"],
  ])("rejects %j naming %s", (line, key) => {
    expect(failure(`[kafka.producers.p1]\ntopic = "t"\n${line}`).key).toBe(key);
  });

  it("names the codes when compression is unknown", () => {
    expect(failure(`[kafka.producers.p1]\ncompression = 7`).message).toBe(
      "kafka.producers.p1.compression: expected one of 0, 1, 2, 3, 4 (none, gzip, snappy, lz4, zstd), found 7",
    );
  });

  it("allows a producer without a topic (every message then names one)", () => {
    expect(decodeToml(`[kafka.producers.p1]\nbatchTimeout = "5ms"`).producers["p1"]?.topic).toBeUndefined();
  });
});

describe("consumer rules", () => {
  it("needs a topic, topics or topicRegex", () => {
    const error = failure(`[kafka.consumers.c1]\ngroupID = "g"`);
    expect(error.key).toBe("kafka.consumers.c1.topic");
    expect(error.message).toBe("kafka.consumers.c1.topic: is required: set topic, topics or topicRegex");
  });

  it("takes only one of topic, topics and topicRegex", () => {
    const error = failure(`[kafka.consumers.c1]\ngroupID = "g"\ntopic = "a"\ntopics = ["b"]`);
    expect(error.key).toBe("kafka.consumers.c1");
    expect(error.message).toContain("found topic and topics");
  });

  it("makes a producer with transactionalID transactional and idempotent, with librdkafka's transaction timeout", () => {
    const config = decodeToml(`[kafka.producers.p1]\ntopic = "t"\ntransactionalID = "orders-1"`);
    const properties = producerProperties(config, config.producers["p1"]!);
    expect(properties).toMatchObject({
      "transactional.id": "orders-1",
      "enable.idempotence": true,
      "transaction.timeout.ms": 60000,
      acks: -1,
    });
    const plain = decodeToml(`[kafka.producers.p1]\ntopic = "t"`);
    expect(producerProperties(plain, plain.producers["p1"]!)).not.toHaveProperty("transaction.timeout.ms");
  });

  it("refuses what a transactional producer cannot do, naming the key", () => {
    const entry = `[kafka.producers.p1]\ntopic = "t"\ntransactionalID = "x"\n`;
    expect(failure(`${entry}requiredAcks = 1`).key).toBe("kafka.producers.p1.requiredAcks");
    expect(failure(`${entry}async = true`).key).toBe("kafka.producers.p1.async");
    expect(failure(`${entry}writeTimeout = "2m"`).key).toBe("kafka.producers.p1.writeTimeout");
    expect(failure(`[kafka.producers.p1]\ntransactionalID = ""`).key).toBe("kafka.producers.p1.transactionalID");
    // librdkafka takes 1s at least: a shorter one is raised to it, with a warning naming the key.
    const short = load(`${entry}writeTimeout = "100ms"\ntransactionTimeout = "500ms"`);
    expect(short.config.producers["p1"]?.transactionTimeout).toBe(1000);
    expect(short.warnings.join("\n")).toContain("kafka.producers.p1.transactionTimeout");
  });

  it("refuses groupID together with partition, as kafka-go does", () => {
    const error = failure(`[kafka.consumers.c1]\ntopic = "t"\ngroupID = "g"\npartition = 1`);
    expect(error.key).toBe("kafka.consumers.c1");
    expect(error.message).toContain("not both");
  });

  it("needs a group for several topics or a regex", () => {
    expect(failure(`[kafka.consumers.c1]\ntopics = ["a", "b"]`).key).toBe("kafka.consumers.c1.topics");
    expect(failure(`[kafka.consumers.c1]\ntopicRegex = "a.*"`).key).toBe("kafka.consumers.c1.topicRegex");
  });

  it("rejects an invalid regex", () => {
    expect(failure(`[kafka.consumers.c1]\ngroupID = "g"\ntopicRegex = "a("`).key).toBe("kafka.consumers.c1.topicRegex");
  });

  it.each([
    ["startOffset = 5", "startOffset"],
    ["minBytes = 10\nmaxBytes = 5", "minBytes"],
    ['readBackoffMin = "2s"\nreadBackoffMax = "1s"', "readBackoffMin"],
    ['commitInterval = "-1s"', "commitInterval"],
    ['sessionTimeout = "-1s"', "sessionTimeout"],
    ['isolationLevel = "serializable"', "isolationLevel"],
  ])("rejects %j", (line, field) => {
    expect(failure(`[kafka.consumers.c1]\ntopic = "t"\ngroupID = "g"\n${line}`).key).toBe(`kafka.consumers.c1.${field}`);
  });

  it("checks group timing rules only for group members", () => {
    const config = decodeToml(`[kafka.consumers.c1]\ntopic = "t"\nheartbeatInterval = "30s"`);
    expect(config.consumers["c1"]?.heartbeatInterval).toBe(30_000);
  });

  it("requires groupID for a consumer group", () => {
    const error = failure(`[kafka.consumerGroups.cg1]\ntopic = "t"`);
    expect(error.message).toBe("kafka.consumerGroups.cg1.groupID: is required for a consumer group");
  });

  it("does not know partition in a consumer group (warns)", () => {
    const { warnings } = load(`${CONSUMER_GROUP}\npartition = 1`);
    expect(warnings).toEqual(["kafka.consumerGroups.cg1.partition: unknown key"]);
  });

  it("allows retentionTime and readLagInterval to be -1 (disabled)", () => {
    const config = decodeToml(`${CONSUMER_GROUP}\nretentionTime = -1\nreadLagInterval = "-1"`);
    expect(config.consumerGroups["cg1"]).toMatchObject({ retentionTime: -1, readLagInterval: -1 });
  });
});

describe("group protocol, assignors and static membership", () => {
  const group = (keys: string) => `[kafka.consumerGroups.cg1]\ntopic = "t"\ngroupID = "g"\n${keys}`;
  const member = (keys: string) => decodeToml(group(keys)).consumerGroups["cg1"]!;
  const properties = (keys: string) => {
    const config = decodeToml(group(keys));
    return consumerProperties(config, config.consumerGroups["cg1"]!);
  };

  it("defaults to the classic protocol with kafka-go's range then roundrobin assignors", () => {
    expect(member("")).toMatchObject({ groupProtocol: "classic", assignmentStrategy: ["range", "roundrobin"], groupInstanceID: undefined });
    expect(properties("")).toMatchObject({ "group.protocol": "classic", "partition.assignment.strategy": "range,roundrobin" });
    expect(properties("")).not.toHaveProperty(["group.instance.id"]);
  });

  it('reads groupInstanceID with "${ENV}" and sends it as group.instance.id', () => {
    process.env["EKAFKA_TEST_INSTANCE"] = "pod-7";
    try {
      expect(properties('groupInstanceID = "orders-${EKAFKA_TEST_INSTANCE}"')["group.instance.id"]).toBe("orders-pod-7");
    } finally {
      delete process.env["EKAFKA_TEST_INSTANCE"];
    }
    expect(properties('groupInstanceID = ""')).not.toHaveProperty(["group.instance.id"]);
  });

  it("refuses two readers joining one group as the same static member", () => {
    const error = failure(`${group('groupInstanceID = "m1"')}\n[kafka.consumers.c1]\ntopic = "t"\ngroupID = "g"\ngroupInstanceID = " m1 "`);
    expect(error.key).toBe("kafka.consumerGroups.cg1.groupInstanceID");
    expect(error.message).toMatch(/as kafka\.consumers\.c1\.groupInstanceID is: one static member would fence the other off/);
    const other = decodeToml(
      `${group('groupInstanceID = "m1"')}\n[kafka.consumers.c1]\ntopic = "t"\ngroupID = "g2"\ngroupInstanceID = "m1"`,
    );
    expect(other.consumers["c1"]!.groupInstanceID).toBe("m1");
  });

  it("refuses groupInstanceID without a group", () => {
    const error = failure('[kafka.consumers.c1]\ntopic = "t"\ngroupInstanceID = "m1"');
    expect(error.key).toBe("kafka.consumers.c1.groupInstanceID");
    expect(error.message).toMatch(/needs groupID/);
  });

  it('with "consumer" sends the remote assignor and leaves the session, heartbeat and assignors to the broker', () => {
    const sent = properties('groupProtocol = "Consumer"\ngroupRemoteAssignor = "range"');
    expect(sent).toMatchObject({ "group.protocol": "consumer", "group.remote.assignor": "range" });
    for (const name of ["session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy"])
      expect(sent).not.toHaveProperty([name]);
    expect(properties("")).not.toHaveProperty(["group.remote.assignor"]);
  });

  it.each([
    ['sessionTimeout = "10s"', "kafka.consumerGroups.cg1.sessionTimeout", "group.consumer.session.timeout.ms"],
    ['HeartbeatInterval = "1s"', "kafka.consumerGroups.cg1.HeartbeatInterval", "group.consumer.heartbeat.interval.ms"],
    ['assignmentStrategy = "range"', "kafka.consumerGroups.cg1.assignmentStrategy", "group.consumer.assignors"],
  ])('with "consumer" refuses %s, naming the key and the broker setting', (line, key, brokerSetting) => {
    const error = failure(group(`groupProtocol = "consumer"\n${line}`));
    expect(error.key).toBe(key);
    expect(error.message).toContain(brokerSetting);
  });

  it('refuses groupRemoteAssignor with "classic"', () => {
    const error = failure(group('groupRemoteAssignor = "uniform"'));
    expect(error.key).toBe("kafka.consumerGroups.cg1.groupRemoteAssignor");
    expect(error.message).toMatch(/groupProtocol = "consumer"/);
  });

  it("reads assignmentStrategy ignoring case, and refuses unknown assignors and cooperative-sticky mixed with others", () => {
    expect(member('assignmentStrategy = ["RoundRobin"]').assignmentStrategy).toEqual(["roundrobin"]);
    expect(properties('assignmentStrategy = "cooperative-sticky"')["partition.assignment.strategy"]).toBe("cooperative-sticky");
    expect(failure(group('assignmentStrategy = "sticky"')).message).toMatch(
      /expected assignors among range, roundrobin, cooperative-sticky, found "sticky"/,
    );
    expect(failure(group('assignmentStrategy = "range,cooperative-sticky"')).message).toMatch(/cannot be combined/);
    expect(failure(group('assignmentStrategy = ""')).message).toMatch(/at least one assignor/);
    expect(failure(group('groupProtocol = "eager"')).key).toBe("kafka.consumerGroups.cg1.groupProtocol");
  });

  it('with "consumer" does not raise rebalanceTimeout to sessionTimeout (the session is the broker\'s)', () => {
    const { config, warnings } = load(group('groupProtocol = "consumer"\nrebalanceTimeout = "10s"'));
    expect(config.consumerGroups["cg1"]!.rebalanceTimeout).toBe(10_000);
    expect(warnings).toEqual([]);
  });
});

describe("subscriptionOf", () => {
  const reader = (extra: string) => decodeToml(`[kafka.consumerGroups.cg1]\ngroupID = "g"\n${extra}`).consumerGroups["cg1"]!;

  it("subscribes to the topic, the topics, or the regex with librdkafka's ^ prefix", () => {
    expect(subscriptionOf(reader(`topic = "a"`))).toEqual(["a"]);
    expect(subscriptionOf(reader(`topics = "a, b"`))).toEqual(["a", "b"]);
    expect(subscriptionOf(reader(`topicRegex = "orders-.*"`))).toEqual(["^orders-.*"]);
    expect(subscriptionOf(reader(`topicRegex = "^orders-.*"`))).toEqual(["^orders-.*"]);
  });
});

describe("kafkaFieldSpec", () => {
  it("finds keys through tables and <name> placeholders", () => {
    expect(kafkaFieldSpec("brokers")).toBe(kafkaSchema.brokers);
    expect(kafkaFieldSpec("client.timeout")).toMatchObject({ type: "duration", default: 3000, doc: expect.any(String) });
    expect(kafkaFieldSpec("tls.caFile")?.type).toBe("string");
    expect(kafkaFieldSpec("producers.<name>.compression")).toMatchObject({ type: "number", default: 0 });
    expect(kafkaFieldSpec("consumers.<name>.partition")?.type).toBe("number");
    expect(kafkaFieldSpec("consumerGroups.<name>.partition")).toBeUndefined();
    expect(kafkaFieldSpec("producers.<name>.nope")).toBeUndefined();
  });

  it("documents every key of the schema", () => {
    const undocumented: string[] = [];
    const visit = (schema: Record<string, { doc?: string; type: string; fields?: object; of?: object }>, path: string) => {
      for (const [name, spec] of Object.entries(schema)) {
        if (spec.doc === undefined || spec.doc === "") undocumented.push(`${path}${name}`);
        if (spec.type === "object") visit(spec.fields as never, `${path}${name}.`);
        if (spec.type === "map") visit(spec.of as never, `${path}${name}.<name>.`);
      }
    };
    visit(kafkaSchema, "");
    expect(undocumented).toEqual([]);
  });
});

afterEach(() => {
  delete process.env["EKAFKA_TEST_PASSWORD"];
});

describe("schema registry keys", () => {
  const registry = `[kafka.schemaRegistry]\nurl = "http://registry:8081"\npassword = "registry-secret"\n`;

  it("decodes the registry and the formats of producers and readers", () => {
    const config = decodeToml(`[kafka]
${registry}
[kafka.producers.p1]
topic = "t"
valueFormat = "AVRO"
valueSchemaFile = "order.avsc"
keyFormat = "json-schema"
useLatestVersion = true
[kafka.consumerGroups.cg1]
groupID = "g"
topic = "t"
valueFormat = "json-schema"
`);
    expect(config.schemaRegistry).toEqual({ url: "http://registry:8081", userName: undefined, password: "registry-secret", timeout: 5000 });
    expect(config.producers["p1"]).toMatchObject({
      valueFormat: "avro",
      valueSchemaFile: "order.avsc",
      keyFormat: "json-schema",
      useLatestVersion: true,
    });
    expect(config.consumerGroups["cg1"]?.valueFormat).toBe("json-schema");
  });

  it("refuses a format without a registry URL, naming the key", () => {
    const error = failure(`[kafka.consumers.c1]\ntopic = "t"\nvalueFormat = "avro"`);
    expect(error.message).toBe('kafka.consumers.c1.valueFormat: "avro" needs a schema registry: set kafka.schemaRegistry.url');
  });

  it("refuses a producer format without a schema, and a schema file without a format", () => {
    expect(failure(`[kafka]\n${registry}[kafka.producers.p1]\nvalueFormat = "avro"`).message).toBe(
      'kafka.producers.p1.valueFormat: "avro" needs a schema: set valueSchemaFile, or useLatestVersion = true',
    );
    expect(failure(`[kafka]\n${registry}[kafka.producers.p1]\nkeySchemaFile = "k.avsc"`).message).toBe(
      'kafka.producers.p1.keySchemaFile: needs keyFormat ("avro", "protobuf" or "json-schema")',
    );
  });

  it("refuses a format it does not know, listing the ones it does", () => {
    expect(failure(`[kafka]\n${registry}[kafka.consumers.c1]\ntopic = "t"\nvalueFormat = "xml"`).message).toBe(
      'kafka.consumers.c1.valueFormat: expected one of avro, protobuf, json-schema, found "xml"',
    );
  });
});
