import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Config, ConfigError, config, configPathFromArgs, defineSchema } from "../../../src/core/index.js";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/core/${name}`, import.meta.url));

// The keys of the Go component, enough to read every snippet of its README.
const readerFields = {
  topic: { type: "string" },
  groupID: { type: "string" },
  partition: { type: "number", integer: true },
  minBytes: { type: "number", default: 1 },
  maxBytes: { type: "number", default: 1_048_576 },
  maxWait: { type: "duration", default: 10_000 },
  startOffset: { type: "number", default: -2, oneOf: [-1, -2] },
  commitInterval: { type: "duration", default: 0 },
  heartbeatInterval: { type: "duration", default: 3_000 },
  sessionTimeout: { type: "duration", default: 30_000 },
  rebalanceTimeout: { type: "duration", default: 30_000 },
  joinGroupBackoff: { type: "duration", default: 5_000 },
  retentionTime: { type: "duration", default: -1 },
  readLagInterval: { type: "duration", default: 60_000 },
  watchPartitionChanges: { type: "boolean", default: false },
  partitionWatchInterval: { type: "duration", default: 5_000 },
  readBackoffMin: { type: "duration", default: 100 },
  readBackoffMax: { type: "duration", default: 1_000 },
  timeout: { type: "duration", default: 5_000 },
} as const;

const kafkaSchema = defineSchema({
  brokers: { type: "stringList" },
  debug: { type: "boolean", default: false },
  saslMechanism: { type: "enum", values: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] },
  saslUserName: { type: "string" },
  saslPassword: { type: "string" },
  client: { type: "object", fields: { timeout: { type: "duration", default: 3_000 } } },
  producers: { type: "map", of: { topic: { type: "string" }, compression: { type: "number", default: 0, oneOf: [0, 1, 2, 3, 4] } } },
  consumers: { type: "map", of: readerFields },
  consumerGroups: { type: "map", of: readerFields },
});

const consumerServerSchema = defineSchema({
  debug: { type: "boolean", default: false },
  consumerName: { type: "string" },
  consumerGroupName: { type: "string" },
});

/** Loads one seed snippet and decodes [kafka], failing on any unknown-key warning. */
function loadSeed(name: string) {
  const warnings: string[] = [];
  const cfg = new Config().loadFile(fixture(name));
  const kafka = cfg.unmarshalKey("kafka", kafkaSchema, (message) => warnings.push(message));
  expect(warnings).toEqual([]);
  return { cfg, kafka };
}

describe("the TOML snippets of the Go README load as they are", () => {
  it("ConsumerGroup quick start: JoinGroupBackoff (capitalised) is joinGroupBackoff", () => {
    const { kafka } = loadSeed("seed-consumer-group-quickstart.toml");
    expect(kafka.brokers).toEqual(["127.0.0.1:9092", "127.0.0.1:9093", "127.0.0.1:9094"]);
    expect(kafka.client.timeout).toBe(3_000);
    expect(kafka.consumerGroups.cg1).toMatchObject({ joinGroupBackoff: 1_000, groupID: "group-1", topic: "my-topic" });
  });

  it("ConsumerGroup reference: every documented key with its documented value", () => {
    const { kafka } = loadSeed("seed-consumer-group-reference.toml");
    expect(kafka.consumerGroups.cg1).toEqual({
      groupID: "group-1",
      topic: "my-topic",
      partition: undefined,
      heartbeatInterval: 3_000,
      partitionWatchInterval: 5_000,
      watchPartitionChanges: false,
      sessionTimeout: 30_000,
      rebalanceTimeout: 30_000,
      joinGroupBackoff: 5_000,
      startOffset: -2, // "-2", a string, through a number field
      retentionTime: -1, // "-1", a bare negative number through a duration field: disabled
      timeout: 5_000,
      minBytes: 1,
      maxBytes: 1_048_576,
      maxWait: 10_000,
      readLagInterval: 60_000,
      commitInterval: 0, // "0"
      readBackoffMin: 100,
      readBackoffMax: 1_000,
    });
  });

  it("Consumer Server: consumers, consumer groups and the kafkaConsumerServers tree", () => {
    const { cfg, kafka } = loadSeed("seed-consumer-server.toml");
    expect(kafka.debug).toBe(true);
    expect(kafka.brokers).toEqual(["localhost:9094"]);
    expect(kafka.consumers.c1).toMatchObject({ topic: "sre-infra-test", groupID: "group-1", startOffset: -1, commitInterval: 1_000 });
    expect(kafka.consumerGroups.cg1).toMatchObject({ topic: "sre-infra-test", groupID: "group-1", startOffset: -1, commitInterval: 1_000 });
    expect(cfg.unmarshalKey("kafkaConsumerServers.s1", consumerServerSchema)).toEqual({
      debug: true,
      consumerName: "c1",
      consumerGroupName: "cg1",
    });
  });

  it("Producer: indented tables with trailing comments", () => {
    const { kafka } = loadSeed("seed-producer.toml");
    expect(kafka.brokers).toEqual(["localhost:9091", "localhost:9092", "localhost:9093"]);
    expect(kafka.producers).toEqual({ p1: { topic: "test_topic", compression: 0 } });
  });

  it("Compression: compression = 1", () => {
    const { kafka } = loadSeed("seed-compression.toml");
    expect(kafka.producers.p1).toEqual({ topic: "test_topic", compression: 1 });
  });

  it("SASL: mechanism, user name and password", () => {
    const { kafka } = loadSeed("seed-sasl.toml");
    expect(kafka).toMatchObject({ debug: true, saslMechanism: "PLAIN", saslUserName: "username", saslPassword: "password" });
    expect(kafka.producers.p1?.topic).toBe("sre-infra-test");
    expect(kafka.consumers.c1).toMatchObject({ topic: "sre-infra-test", groupID: "group-1" });
  });

  it("the config string embedded in the Go producer example", () => {
    const cfg = new Config().loadString(`
[kafka]
	debug=true
	brokers=["localhost:9091","localhost:9092","localhost:9093"]
	[kafka.client]
		timeout="3s"
	[kafka.producers.p1]        # 定义了名字为 p1 的 producer
		topic="sre-infra-test"  # 指定生产消息的 topic
`);
    expect(cfg.unmarshalKey("kafka", kafkaSchema).producers.p1?.topic).toBe("sre-infra-test");
  });
});

describe("Config.loadString / loadFile errors", () => {
  it("reports a syntax error with <string>, line and column, and nothing from the library", () => {
    let error: unknown;
    try {
      new Config().loadString('[kafka]\nsaslPassword = "hunter2"\nbrokers = \n');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).toBe("<string>:3:11: invalid TOML: invalid value");
    expect(configError).toMatchObject({ file: "<string>", line: 3, column: 11 });
    expect(configError.cause).toBeUndefined();
    expect(configError.message).not.toContain("hunter2"); // the surrounding lines are not quoted
  });

  it("names the source given to loadString, or the file given to loadFile", () => {
    expect(() => new Config().loadString("a = ", "override.toml")).toThrow("override.toml:1:5: invalid TOML: invalid value");
    const dir = mkdtempSync(join(tmpdir(), "ekafka-config-"));
    try {
      const path = join(dir, "broken.toml");
      writeFileSync(path, '[kafka]\nbrokers = ["a",\n');
      expect(() => new Config().loadFile(path)).toThrow(new RegExp(`^${escapeRegExp(path)}:\\d+:\\d+: invalid TOML: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing file", () => {
    expect(() => new Config().loadFile("/nonexistent/ekafka.toml")).toThrow(
      expect.objectContaining({
        name: "ConfigError",
        message: "/nonexistent/ekafka.toml: cannot read the config file: no such file",
        file: "/nonexistent/ekafka.toml",
      }),
    );
  });

  it("treats tables whose names differ only in case as one table, as the Go loader does", () => {
    const cfg = new Config().loadString("[Kafka]\ndebug = true\n[kafka.producers.p1]\ntopic = 't'\n[KAFKA.Producers.p1]\nasync = true\n");
    expect(cfg.get("")).toEqual({ Kafka: { debug: true, producers: { p1: { topic: "t", async: true } } } });
  });

  it("rejects two spellings of one key holding values in one document", () => {
    expect(() => new Config().loadString("[Kafka]\ndebug = true\n[kafka]\nDEBUG = false\n", "app.toml")).toThrow(
      "app.toml: kafka: debug and DEBUG are the same key (keys ignore case); keep one of them",
    );
    expect(() => new Config().loadString("[kafka.consumers.c1]\ngroupID = 'a'\ngroupid = 'b'\n", "app.toml")).toThrow(
      "app.toml: kafka.consumers.c1: groupID and groupid are the same key (keys ignore case); keep one of them",
    );
  });
});

describe("Config.get / has / unmarshalKey", () => {
  const cfg = new Config().loadString(`
[kafka]
brokers = ["a:1"]
saslPassword = "\${EKAFKA_CONFIG_TEST_SECRET}"
[kafka.Producers.p1]
topic = "t"
`);

  afterEach(() => {
    delete process.env.EKAFKA_CONFIG_TEST_SECRET;
  });

  it("walks dot paths ignoring the case of each segment", () => {
    expect(cfg.get("kafka.producers.p1.topic")).toBe("t");
    expect(cfg.get("KAFKA.PRODUCERS.P1")).toEqual({ topic: "t" });
    expect(cfg.get("kafka.brokers")).toEqual(["a:1"]);
  });

  it("returns undefined for a missing key, also below a scalar", () => {
    expect(cfg.get("kafka.consumers")).toBeUndefined();
    expect(cfg.get("kafka.brokers.x")).toBeUndefined();
    expect(cfg.get("nope.deeper")).toBeUndefined();
  });

  it("returns the whole tree for the empty key", () => {
    expect(Object.keys(cfg.get("") as object)).toEqual(["kafka"]);
  });

  it("returns a copy, so changing it does not change the config", () => {
    const brokers = cfg.get("kafka.brokers") as string[];
    brokers.push("b:2");
    (cfg.get("kafka.producers.p1") as Record<string, unknown>).topic = "changed";
    expect(cfg.get("kafka.brokers")).toEqual(["a:1"]);
    expect(cfg.get("kafka.producers.p1.topic")).toBe("t");
  });

  it("has() tells whether a key exists", () => {
    expect(cfg.has("kafka")).toBe(true);
    expect(cfg.has("Kafka.Producers.P1.Topic")).toBe(true);
    expect(cfg.has("kafka.producers.p2")).toBe(false);
  });

  it("does not expand ${ENV} in get(), but unmarshalKey() without a schema does", () => {
    process.env.EKAFKA_CONFIG_TEST_SECRET = "pw";
    expect(cfg.get("kafka.saslPassword")).toBe("${EKAFKA_CONFIG_TEST_SECRET}");
    expect(cfg.unmarshalKey("kafka")).toEqual({ brokers: ["a:1"], saslPassword: "pw", Producers: { p1: { topic: "t" } } });
  });

  it("unmarshalKey() without a schema names the key when a variable is missing", () => {
    expect(() => cfg.unmarshalKey("kafka")).toThrow(/^kafka\.saslPassword: environment variable EKAFKA_CONFIG_TEST_SECRET is not set/);
  });

  it("unmarshalKey() with a schema decodes, with key paths starting at the key", () => {
    process.env.EKAFKA_CONFIG_TEST_SECRET = "pw";
    const warnings: string[] = [];
    const decoded = cfg.unmarshalKey("kafka", kafkaSchema, (message) => warnings.push(message));
    expect(decoded.saslPassword).toBe("pw");
    expect(decoded.producers.p1).toEqual({ topic: "t", compression: 0 });
    expect(warnings).toEqual([]);
    const bad = new Config().loadString("[kafka.producers.p1]\ncompression = 'fast'\n");
    expect(() => bad.unmarshalKey("kafka", kafkaSchema)).toThrow('kafka.producers.p1.compression: expected a number, found string "fast"');
  });

  it("unmarshalKey() of a missing key decodes to the defaults", () => {
    expect(new Config().unmarshalKey("kafkaConsumerServers.s1", consumerServerSchema)).toEqual({
      debug: false,
      consumerName: undefined,
      consumerGroupName: undefined,
    });
    expect(new Config().unmarshalKey("missing")).toBeUndefined();
  });
});

describe("loading several files", () => {
  it("merges the second over the first: tables deeply, other values replaced, keys ignoring case", () => {
    const cfg = new Config()
      .loadString(
        `
[kafka]
brokers = ["a:1", "b:2"]
debug = true
[kafka.consumerGroups.cg1]
JoinGroupBackoff = "1s"
groupID = "g"
`,
      )
      .loadString(
        `
[Kafka]
brokers = ["c:3"]
[kafka.ConsumerGroups.cg1]
joinGroupBackoff = "2s"
[kafka.consumerGroups.cg2]
topic = "t2"
`,
        "override.toml",
      );
    expect(cfg.get("kafka.brokers")).toEqual(["c:3"]);
    expect(cfg.get("kafka.debug")).toBe(true);
    expect(cfg.get("kafka.consumerGroups")).toEqual({ cg1: { groupID: "g", joinGroupBackoff: "2s" }, cg2: { topic: "t2" } });
    expect(cfg.sources).toEqual(["<string>", "override.toml"]);
  });

  it("keeps what was loaded when a later load fails", () => {
    const cfg = new Config().loadString("a = 1");
    expect(() => cfg.loadString("b = ")).toThrow(ConfigError);
    expect(cfg.get("a")).toBe(1);
    expect(cfg.has("b")).toBe(false);
    expect(cfg.sources).toEqual(["<string>"]);
  });

  it("reset() forgets everything", () => {
    const cfg = new Config().loadString("a = 1").reset();
    expect(cfg.get("")).toEqual({});
    expect(cfg.sources).toEqual([]);
  });

  it("keeps a key named __proto__ as data", () => {
    const cfg = new Config().loadString('[t]\n"__proto__" = { polluted = true }\n');
    expect(cfg.get("t.__proto__")).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("the config path from the command line", () => {
  it.each([
    [["node", "app.js", "--config=config/local.toml"], "config/local.toml"],
    [["node", "app.js", "--config", "config/local.toml"], "config/local.toml"],
    [["node", "app.js", "-config=a.toml"], "a.toml"],
    [["node", "app.js", "-config", "a.toml"], "a.toml"],
    [["node", "app.js", "--config=a.toml", "--config=b.toml"], "b.toml"],
    [["node", "app.js", "--", "--config=a.toml"], undefined],
    [["node", "app.js", "--configs=a.toml"], undefined],
    [["node", "app.js"], undefined],
  ])("%j → %j", (argv, expected) => {
    expect(configPathFromArgs(argv, {})).toBe(expected);
  });

  it("falls back to EGO_CONFIG_PATH, the Go framework's variable; the flag wins over it", () => {
    expect(configPathFromArgs(["node", "app.js"], { EGO_CONFIG_PATH: "env.toml" })).toBe("env.toml");
    expect(configPathFromArgs(["node", "app.js"], { EGO_CONFIG_PATH: "" })).toBeUndefined();
    expect(configPathFromArgs(["node", "app.js", "--config=flag.toml"], { EGO_CONFIG_PATH: "env.toml" })).toBe("flag.toml");
  });

  it("rejects --config without a value", () => {
    expect(() => configPathFromArgs(["node", "app.js", "--config"], {})).toThrow(
      new ConfigError("--config needs a path, e.g. --config=config/local.toml"),
    );
  });

  it("loadDefault() loads the file named there, and does nothing when none is named", () => {
    const cfg = new Config();
    expect(cfg.loadDefault(["node", "app.js", `--config=${fixture("seed-compression.toml")}`], {})).toBe(fixture("seed-compression.toml"));
    expect(cfg.get("kafka.producers.p1.compression")).toBe(1);
    const empty = new Config();
    expect(empty.loadDefault(["node", "app.js"], {})).toBeUndefined();
    expect(empty.sources).toEqual([]);
  });
});

describe("the global config", () => {
  afterAll(() => {
    config.reset();
  });

  it("is a Config shared by the application", () => {
    expect(config).toBeInstanceOf(Config);
    config.loadString("[kafka]\nbrokers = 'x:1'");
    expect(config.get("kafka.brokers")).toBe("x:1");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
