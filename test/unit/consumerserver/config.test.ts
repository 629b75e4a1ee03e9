import { pino } from "pino";
import { describe, expect, it } from "vitest";
import * as consumerserver from "../../../consumerserver/index.js";
import { Config, ConfigError } from "../../../src/core/index.js";
import { load as loadKafka } from "../../../src/index.js";

const KAFKA = `
[kafka]
brokers = ["127.0.0.1:9091"]
[kafka.consumerGroups.cg1]
groupID = "g1"
topic = "t1"
[kafka.producers.dlq]
topic = "t1-dead"
`;

function decodeWithWarnings(raw: unknown) {
  const warnings: string[] = [];
  const decoded = consumerserver.decodeConsumerServerConfig(raw, "kafkaConsumerServers.s1", (w) => warnings.push(w));
  return { decoded, warnings };
}

describe("the kafkaConsumerServers tree", () => {
  it("decodes the Go original's keys with their defaults", () => {
    const { decoded, warnings } = decodeWithWarnings({ debug: true, consumerName: "c1", consumerGroupName: "cg1" });
    expect(decoded).toEqual({
      debug: true,
      consumerName: "c1",
      consumerGroupName: "cg1",
      deadLetterProducer: undefined,
      batchSize: 500,
      batchWait: 0,
      partitionConcurrency: false,
      ordering: "partition",
      concurrency: 1,
      maxQueued: 1000,
      maxQueuedPerPartition: 1000,
      inPlaceRetries: undefined,
      retryDelays: [],
      transactionalProducer: undefined,
      transactionInterval: 100,
      retryProducer: undefined,
      retryTopicFormat: "{topic}.retry.{n}",
      retryNonRecoverable: false,
    });
    expect(warnings).toEqual([]);
  });

  it("matches keys ignoring case, as the Go loader does", () => {
    const { decoded } = decodeWithWarnings({
      Debug: "true",
      ConsumerGroupName: "cg1",
      CONSUMERNAME: "c1",
      DeadLetterProducer: "dlq",
      PartitionConcurrency: 1,
    });
    expect(decoded).toMatchObject({
      debug: true,
      consumerGroupName: "cg1",
      consumerName: "c1",
      deadLetterProducer: "dlq",
      partitionConcurrency: true,
    });
  });

  it("warns about an unknown key with a suggestion, and still loads", () => {
    const { decoded, warnings } = decodeWithWarnings({ consumerGroupNam: "cg1" });
    expect(decoded.consumerGroupName).toBeUndefined();
    expect(warnings).toEqual(["kafkaConsumerServers.s1.consumerGroupNam: unknown key; did you mean consumerGroupName?"]);
  });

  it("names the key, what was expected and what was found on a wrong type", () => {
    expect(() => decodeWithWarnings({ debug: "maybe" })).toThrow(ConfigError);
    expect(() => decodeWithWarnings({ debug: "maybe" })).toThrow(/^kafkaConsumerServers\.s1\.debug: expected/);
    expect(() => decodeWithWarnings({ partitionConcurrency: [1] })).toThrow(/kafkaConsumerServers\.s1\.partitionConcurrency/);
    expect(() => decodeWithWarnings("not a table")).toThrow(/kafkaConsumerServers\.s1: expected a table/);
  });

  it("reads an empty name as not set", () => {
    expect(decodeWithWarnings({ consumerGroupName: "", deadLetterProducer: " " }).decoded).toMatchObject({
      consumerGroupName: undefined,
      deadLetterProducer: undefined,
    });
  });

  it("load(key, cfg) reads the given Config; a missing tree gives the defaults", () => {
    const cfg = new Config().loadString(`[KafkaConsumerServers.S1]\nconsumerGroupName = "cg1"\npartitionConcurrency = true`);
    expect(consumerserver.load("kafkaConsumerServers.s1", cfg).config).toMatchObject({
      consumerGroupName: "cg1",
      partitionConcurrency: true,
    });
    expect(consumerserver.load("kafkaConsumerServers.none", cfg).config).toMatchObject({ debug: false, consumerGroupName: undefined });
  });

  it("load(key) reads the global config by default", () => {
    const { config } = consumerserver.load("kafkaConsumerServers.notConfiguredAnywhere");
    expect(config.partitionConcurrency).toBe(false);
  });
});

describe("building a server", () => {
  const cfg = () => new Config().loadString(`${KAFKA}\n[kafkaConsumerServers.s1]\nconsumerGroupName = "cg1"\ndeadLetterProducer = "dlq"`);

  it("needs withEkafka", () => {
    expect(() => consumerserver.load("kafkaConsumerServers.s1", cfg()).build()).toThrow(/withEkafka\(component\) is required/);
  });

  it("takes its name from the key, and options over config keys", () => {
    const kafka = loadKafka("kafka", cfg()).build();
    const server = consumerserver.load("kafkaConsumerServers.s1", cfg()).build(consumerserver.withEkafka(kafka));
    expect(server.name).toBe("kafkaConsumerServers.s1");
    expect(server.deadLetterProducer).toBe("dlq");
    expect(server.partitionConcurrency).toBe(false);
    const overridden = consumerserver
      .load("kafkaConsumerServers.s1", cfg())
      .build(consumerserver.withEkafka(kafka), consumerserver.withDeadLetter("other"), consumerserver.withPartitionConcurrency(true));
    expect(overridden.deadLetterProducer).toBe("other");
    expect(overridden.partitionConcurrency).toBe(true);
  });

  it("init fails clearly without a handler, or with a name that is missing or not configured", () => {
    const kafka = loadKafka("kafka", cfg()).build();
    const build = (toml = "") =>
      consumerserver
        .load("kafkaConsumerServers.x", new Config().loadString(`[kafkaConsumerServers.x]\n${toml}`))
        .build(consumerserver.withEkafka(kafka));
    expect(() => build('consumerGroupName = "cg1"').init()).toThrow(
      "kafkaConsumerServers.x: no handler registered; call onEachMessage, onEachBatch, onStart or onConsumerGroupStart before starting",
    );
    expect(() =>
      build()
        .onEachMessage(() => undefined)
        .init(),
    ).toThrow(
      /^kafkaConsumerServers\.x\.consumerName: required for onEachMessage: the name of a kafka.consumers entry \(or set consumerGroupName/,
    );
    expect(() =>
      build()
        .onEachBatch(() => undefined)
        .init(),
    ).toThrow(/^kafkaConsumerServers\.x\.consumerName: required for onEachBatch/);
    expect(() =>
      build()
        .onConsumerGroupStart(() => undefined)
        .init(),
    ).toThrow(/^kafkaConsumerServers\.x\.consumerGroupName: required for onConsumerGroupStart/);
    expect(() =>
      build()
        .onStart(() => undefined)
        .init(),
    ).toThrow(/^kafkaConsumerServers\.x\.consumerName: required for onStart/);
    expect(() =>
      build('consumerGroupName = "nope"')
        .onEachMessage(() => undefined)
        .init(),
    ).toThrow(/kafkaConsumerServers\.x\.consumerGroupName: .*"nope".*configured: cg1/);
  });

  it("a start() that cannot init rejects with the init error", async () => {
    const kafka = loadKafka("kafka", cfg()).build();
    const server = consumerserver
      .load("kafkaConsumerServers.none", cfg())
      .build(consumerserver.withEkafka(kafka))
      .onEachMessage(() => undefined);
    await expect(server.start()).rejects.toThrow(/consumerName: required/);
  });

  it("allows exactly one handler", () => {
    const kafka = loadKafka("kafka", cfg()).build();
    const server = consumerserver
      .load("kafkaConsumerServers.s1", cfg())
      .build(consumerserver.withEkafka(kafka))
      .onEachMessage(() => undefined);
    expect(() => server.onConsumerGroupStart(() => undefined)).toThrow(/an onEachMessage handler is already registered/);
  });

  it("a stop before start makes start() resolve without consuming", async () => {
    const kafka = loadKafka("kafka", cfg()).build();
    const server = consumerserver
      .load("kafkaConsumerServers.s1", cfg())
      .build(consumerserver.withEkafka(kafka))
      .onEachMessage(() => {
        throw new Error("must not be called");
      });
    await server.gracefulStop();
    await expect(server.start()).resolves.toBeUndefined();
  });

  it("checks concurrency limits", () => {
    expect(() => consumerserver.withPartitionConcurrency(true, { maxQueued: 0 })).toThrow(
      /maxQueued must be an integer of at least 1, found 0/,
    );
  });
});

describe("which reader onEachMessage and onEachBatch use (Go's rule)", () => {
  const kafkaToml = `${KAFKA}
[kafka.consumers.c1]
groupID = "g-c1"
topic = "t1"
[kafka.consumers.direct]
topic = "t1"
partition = 2
[kafka.consumers.byRegex]
groupID = "g-regex"
topicRegex = "^t.*"
`;
  function build(serverToml: string) {
    const cfg = new Config().loadString(`${kafkaToml}\n[kafkaConsumerServers.s1]\n${serverToml}`);
    const kafka = loadKafka("kafka", cfg).build();
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const server = consumerserver
      .load("kafkaConsumerServers.s1", cfg)
      .build(consumerserver.withEkafka(kafka), consumerserver.withLogger(logger));
    return { server, lines };
  }

  it("reads with consumerName alone, as in Go", () => {
    const { server, lines } = build('consumerName = "c1"');
    expect(() => server.onEachMessage(() => undefined).init()).not.toThrow();
    expect(lines.filter((l) => String(l.msg).includes("reads with"))).toEqual([]);
  });

  it("reads with consumerGroupName when it is the only name set", () => {
    const { server } = build('consumerGroupName = "cg1"');
    expect(() => server.onEachBatch(() => undefined).init()).not.toThrow();
  });

  it("with both set, reads with the consumer and says so once", () => {
    const { server, lines } = build('consumerName = "c1"\nconsumerGroupName = "cg1"');
    server.onEachMessage(() => undefined).init();
    server.init();
    const said = lines.filter((l) => String(l.msg).includes("reads with"));
    expect(said).toHaveLength(1);
    expect(said[0]!.msg).toBe(
      "onEachMessage reads with consumerName c1 (kafka.consumers.c1) and its settings, as in Go; consumerGroupName cg1 is for onConsumerGroupStart",
    );
  });

  it("sets up retry tiers with onEachBatch and on a server that reads with consumerName", () => {
    const batch = build('consumerGroupName = "cg1"\nretryDelays = ["1s"]\ndeadLetterProducer = "dlq"');
    expect(() => batch.server.onEachBatch(() => undefined).init()).not.toThrow();
    const goStyle = build('consumerName = "c1"\nretryDelays = ["1s"]\ndeadLetterProducer = "dlq"');
    expect(() => goStyle.server.onEachMessage(() => undefined).init()).not.toThrow();
  });

  it("refuses retry tiers on a consumer that reads a topic regex, naming retryDelays and the entry", () => {
    const { server } = build('consumerName = "byRegex"\nretryDelays = ["1s"]\ndeadLetterProducer = "dlq"');
    expect(() => server.onEachBatch(() => undefined).init()).toThrow(
      /^kafkaConsumerServers\.s1\.retryDelays: retry tiers need the topics read by name, with a groupID; kafka\.consumers\.byRegex uses topicRegex/,
    );
  });

  it("refuses a consumer that reads one partition directly, naming the key", () => {
    const { server } = build('consumerName = "direct"');
    expect(() => server.onEachMessage(() => undefined).init()).toThrow(
      /^kafkaConsumerServers\.s1\.consumerName: kafka\.consumers\.direct: reading it as a consumer group needs a groupID/,
    );
  });

  it("refuses onEachBatch with key or unordered ordering, naming ordering; onEachMessage takes them", () => {
    for (const ordering of ["key", "unordered"]) {
      const { server } = build(`consumerGroupName = "cg1"\nordering = "${ordering}"\nconcurrency = 10`);
      expect(() => server.onEachBatch(() => undefined).init()).toThrow(
        `kafkaConsumerServers.s1.ordering: onEachBatch hands over runs of one partition: it takes ordering = "partition" only, found "${ordering}"`,
      );
      const messages = build(`consumerGroupName = "cg1"\nordering = "${ordering}"\nconcurrency = 10`);
      expect(() => messages.server.onEachMessage(() => undefined).init()).not.toThrow();
    }
  });

  it("names the key of a consumer that is not configured", () => {
    const { server } = build('consumerName = "nope"');
    expect(() => server.onEachMessage(() => undefined).init()).toThrow(
      /kafkaConsumerServers\.s1\.consumerName: .*"nope".*configured: c1, direct, byRegex/,
    );
  });
});
