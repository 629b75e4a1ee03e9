import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ConfigError, decode, defineSchema, type Decoded, type Schema } from "../../../src/core/index.js";

const producerSchema = defineSchema({
  topic: { type: "string" },
  balancer: { type: "string", default: "roundRobin" },
  batchSize: { type: "number", default: 100, integer: true, min: 1 },
  batchTimeout: { type: "duration", default: 1_000 },
  requiredAcks: { type: "number", default: -1, oneOf: [0, 1, -1] },
  compression: { type: "number", default: 0, oneOf: [0, 1, 2, 3, 4] },
  async: { type: "boolean", default: false },
  maxAttempts: { type: "number", max: 100 },
});

const kafkaSchema = defineSchema({
  brokers: { type: "stringList", default: ["localhost:9092"] },
  debug: { type: "boolean", default: false },
  saslMechanism: { type: "enum", values: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] },
  saslPassword: { type: "string" },
  client: { type: "object", fields: { timeout: { type: "duration", default: 3_000 } } },
  librdkafka: { type: "properties" },
  producers: { type: "map", of: producerSchema },
});

/** Collects warnings instead of logging them. */
function collectWarnings(): { warn: (message: string) => void; messages: string[] } {
  const messages: string[] = [];
  return { warn: (message) => messages.push(message), messages };
}

function errorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("decode: defaults and shapes", () => {
  it("fills every default when the subtree is missing", () => {
    const decoded = decode(undefined, kafkaSchema, "kafka");
    expect(decoded).toEqual({
      brokers: ["localhost:9092"],
      debug: false,
      saslMechanism: undefined,
      saslPassword: undefined,
      client: { timeout: 3_000 },
      librdkafka: {},
      producers: {},
    });
  });

  it("returns a fresh copy of a list default, so callers cannot change the schema", () => {
    const first = decode({}, kafkaSchema, "kafka");
    first.brokers.push("changed");
    expect(decode({}, kafkaSchema, "kafka").brokers).toEqual(["localhost:9092"]);
  });

  it("keeps map entry names as written and decodes each with defaults", () => {
    const decoded = decode({ producers: { P1: { topic: "t1" }, "orders-v2": { topic: "t2", batchSize: 5 } } }, kafkaSchema, "kafka");
    expect(Object.keys(decoded.producers)).toEqual(["P1", "orders-v2"]);
    expect(decoded.producers.P1).toEqual({
      topic: "t1",
      balancer: "roundRobin",
      batchSize: 100,
      batchTimeout: 1_000,
      requiredAcks: -1,
      compression: 0,
      async: false,
      maxAttempts: undefined,
    });
    expect(decoded.producers["orders-v2"]?.batchSize).toBe(5);
  });

  it("keeps a map entry named __proto__ as data", () => {
    const raw = JSON.parse('{"producers": {"__proto__": {"topic": "t"}}}') as unknown;
    const decoded = decode(raw, kafkaSchema, "kafka");
    expect(Object.keys(decoded.producers)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(decoded.producers)).toBe(Object.prototype);
  });

  it("has precise static types", () => {
    const decoded = decode({}, kafkaSchema, "kafka");
    expectTypeOf(decoded.brokers).toEqualTypeOf<string[]>();
    expectTypeOf(decoded.debug).toEqualTypeOf<boolean>();
    expectTypeOf(decoded.saslPassword).toEqualTypeOf<string | undefined>();
    expectTypeOf(decoded.saslMechanism).toEqualTypeOf<"PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | undefined>();
    expectTypeOf(decoded.client.timeout).toEqualTypeOf<number>();
    expectTypeOf(decoded.librdkafka).toEqualTypeOf<Record<string, string>>();
    expectTypeOf(decoded.producers).toEqualTypeOf<Record<string, Decoded<typeof producerSchema>>>();
    expectTypeOf<Decoded<typeof producerSchema>["maxAttempts"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Decoded<typeof producerSchema>["batchTimeout"]>().toEqualTypeOf<number>();
  });

  it("rejects a subtree that is not a table", () => {
    expect(errorOf(() => decode("x", kafkaSchema, "kafka")).message).toBe('kafka: expected a table, found string "x"');
    expect(errorOf(() => decode({ client: 3 }, kafkaSchema, "kafka")).message).toBe("kafka.client: expected a table, found number 3");
    expect(errorOf(() => decode({ producers: { p1: "t" } }, kafkaSchema, "kafka")).message).toBe(
      'kafka.producers.p1: expected a table, found string "t"',
    );
  });

  it("works at the root (empty key path)", () => {
    expect(errorOf(() => decode({ debug: "maybe" }, kafkaSchema, "")).message).toBe(
      'debug: expected a boolean (true or false), found string "maybe"',
    );
  });
});

describe("decode: keys ignore case", () => {
  it("matches input keys to camelCase fields ignoring case", () => {
    const decoded = decode(
      { BROKERS: ["a:1"], Debug: true, Client: { TimeOut: "5s" }, producers: { p1: { BatchSize: "7", requiredacks: "1" } } },
      kafkaSchema,
      "kafka",
    );
    expect(decoded.brokers).toEqual(["a:1"]);
    expect(decoded.debug).toBe(true);
    expect(decoded.client.timeout).toBe(5_000);
    expect(decoded.producers.p1?.batchSize).toBe(7);
    expect(decoded.producers.p1?.requiredAcks).toBe(1);
  });

  it("names the key as the user spelled it in errors", () => {
    expect(errorOf(() => decode({ producers: { p1: { BatchSize: "many" } } }, kafkaSchema, "kafka")).message).toBe(
      'kafka.producers.p1.BatchSize: expected a number, found string "many"',
    );
  });

  it("rejects two spellings of one key in the same table", () => {
    const error = errorOf(() => decode({ producers: { p1: { topic: "a", TOPIC: "b" } } }, kafkaSchema, "kafka"));
    expect(error.message).toBe("kafka.producers.p1: topic and TOPIC are the same key (keys ignore case); keep one of them");
  });
});

describe("decode: weak typing like Go's loader", () => {
  it('reads numbers from strings ("-2", " 7 ", "1.5e1")', () => {
    const schema = { n: { type: "number" } } as const satisfies Schema;
    expect(decode({ n: "-2" }, schema, "k").n).toBe(-2);
    expect(decode({ n: " 7 " }, schema, "k").n).toBe(7);
    expect(decode({ n: "1.5e1" }, schema, "k").n).toBe(15);
    expect(decode({ n: true }, schema, "k").n).toBe(1);
  });

  it.each([
    ["true", true],
    ["false", false],
    ["1", true],
    ["0", false],
    ["TRUE", true],
    ["f", false],
    [1, true],
    [0, false],
    [true, true],
  ] as const)("reads the boolean %j as %j", (raw, expected) => {
    expect(decode({ async: raw }, producerSchema, "p").async).toBe(expected);
  });

  it("writes numbers and booleans out where a string is expected", () => {
    const decoded = decode({ topic: 42, balancer: true }, producerSchema, "p");
    expect(decoded.topic).toBe("42");
    expect(decoded.balancer).toBe("true");
  });

  it("writes a TOML date out as an ISO string", () => {
    expect(decode({ topic: new Date("2024-01-02T03:04:05.000Z") }, producerSchema, "p").topic).toBe("2024-01-02T03:04:05.000Z");
  });

  it('reads a list from an array or from a comma-separated string "a, b"', () => {
    expect(decode({ brokers: "a:1, b:2,,c:3 " }, kafkaSchema, "kafka").brokers).toEqual(["a:1", "b:2", "c:3"]);
    expect(decode({ brokers: ["a:1", "b:2"] }, kafkaSchema, "kafka").brokers).toEqual(["a:1", "b:2"]);
    expect(decode({ brokers: [9092] }, kafkaSchema, "kafka").brokers).toEqual(["9092"]);
    expect(decode({ brokers: "" }, kafkaSchema, "kafka").brokers).toEqual([]);
  });

  it("matches enums ignoring case and returns the canonical spelling", () => {
    expect(decode({ saslMechanism: "scram-sha-512" }, kafkaSchema, "kafka").saslMechanism).toBe("SCRAM-SHA-512");
    expect(decode({ saslMechanism: "Plain" }, kafkaSchema, "kafka").saslMechanism).toBe("PLAIN");
  });

  it("reads durations from Go strings, and bare numbers as nanoseconds", () => {
    expect(decode({ batchTimeout: "10ms" }, producerSchema, "p").batchTimeout).toBe(10);
    expect(decode({ batchTimeout: 2_000_000 }, producerSchema, "p").batchTimeout).toBe(2);
    expect(decode({ batchTimeout: "-1" }, producerSchema, "p").batchTimeout).toBe(-1);
  });
});

describe("decode: wrong types name the key, the expectation and what was found", () => {
  const p1 = (fields: Record<string, unknown>) => () => decode({ producers: { p1: fields } }, kafkaSchema, "kafka");

  it.each([
    [{ compression: "fast" }, 'kafka.producers.p1.compression: expected a number, found string "fast"'],
    [{ compression: 7 }, "kafka.producers.p1.compression: expected one of 0, 1, 2, 3, 4, found 7"],
    [{ compression: "7" }, "kafka.producers.p1.compression: expected one of 0, 1, 2, 3, 4, found 7"],
    [{ requiredAcks: 2 }, "kafka.producers.p1.requiredAcks: expected one of 0, 1, -1, found 2"],
    [{ batchSize: 0 }, "kafka.producers.p1.batchSize: expected a number of at least 1, found 0"],
    [{ maxAttempts: 101 }, "kafka.producers.p1.maxAttempts: expected a number of at most 100, found 101"],
    [{ maxAttempts: Number.NaN }, "kafka.producers.p1.maxAttempts: expected a number, found nan"],
    [{ maxAttempts: "" }, 'kafka.producers.p1.maxAttempts: expected a number, found string ""'],
    [{ maxAttempts: [1] }, "kafka.producers.p1.maxAttempts: expected a number, found an array"],
    [{ async: "yes" }, 'kafka.producers.p1.async: expected a boolean (true or false), found string "yes"'],
    [{ async: {} }, "kafka.producers.p1.async: expected a boolean (true or false), found a table"],
    [{ topic: { name: "t" } }, "kafka.producers.p1.topic: expected a string, found a table"],
    [{ topic: ["a"] }, "kafka.producers.p1.topic: expected a string, found an array"],
    [{ batchTimeout: "10 seconds" }, 'kafka.producers.p1.batchTimeout: expected a duration such as "300ms" or "1m30s", found "10 seconds"'],
    [{ batchTimeout: true }, 'kafka.producers.p1.batchTimeout: expected a duration such as "300ms" or "1m30s", found boolean true'],
  ])("%j → %s", (fields, message) => {
    const error = errorOf(p1(fields));
    expect(error.message).toBe(message);
    expect(error.key).toBe(message.slice(0, message.indexOf(":")));
  });

  it("rejects an enum value that is not allowed, listing the allowed ones", () => {
    expect(errorOf(() => decode({ saslMechanism: "PLIAN" }, kafkaSchema, "kafka")).message).toBe(
      'kafka.saslMechanism: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, found "PLIAN"',
    );
    expect(errorOf(() => decode({ saslMechanism: [] }, kafkaSchema, "kafka")).message).toBe(
      "kafka.saslMechanism: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, found an array",
    );
  });

  it("names the list item that is wrong", () => {
    expect(errorOf(() => decode({ brokers: ["a:1", { host: "b" }] }, kafkaSchema, "kafka")).message).toBe(
      "kafka.brokers[1]: expected a string, found a table",
    );
    expect(errorOf(() => decode({ brokers: { host: "b" } }, kafkaSchema, "kafka")).message).toBe(
      'kafka.brokers: expected a list of strings (["a", "b"] or "a,b"), found a table',
    );
  });

  it("shortens a long value in the message", () => {
    const message = errorOf(p1({ compression: "x".repeat(500) })).message;
    expect(message.length).toBeLessThan(200);
    expect(message).toContain("…");
  });
});

describe("decode: properties tables", () => {
  it("keeps names exactly as written and writes values out as strings", () => {
    const decoded = decode(
      { librdkafka: { "Fetch.Wait.Max.Ms": 100, "enable.idempotence": true, "client.id": "svc" } },
      kafkaSchema,
      "kafka",
    );
    expect(decoded.librdkafka).toEqual({ "Fetch.Wait.Max.Ms": "100", "enable.idempotence": "true", "client.id": "svc" });
  });

  it("flattens TOML dotted keys (nested tables) back into dotted property names", () => {
    const decoded = decode({ librdkafka: { fetch: { wait: { max: { ms: 50 } } }, "queue.buffering.max.ms": 5 } }, kafkaSchema, "kafka");
    expect(decoded.librdkafka).toEqual({ "fetch.wait.max.ms": "50", "queue.buffering.max.ms": "5" });
  });

  it("joins an array value with commas, as librdkafka lists are written", () => {
    expect(decode({ librdkafka: { "bootstrap.servers": ["a:1", "b:2"] } }, kafkaSchema, "kafka").librdkafka).toEqual({
      "bootstrap.servers": "a:1,b:2",
    });
  });

  it("rejects a value that is not a scalar", () => {
    expect(errorOf(() => decode({ librdkafka: { when: new Date(0) } }, kafkaSchema, "kafka")).message).toMatch(
      /^kafka\.librdkafka\.when: expected a string, number or boolean, found date /,
    );
    expect(errorOf(() => decode({ librdkafka: "x=1" }, kafkaSchema, "kafka")).message).toBe(
      'kafka.librdkafka: expected a table, found string "x=1"',
    );
  });
});

describe("decode: unknown keys", () => {
  it("warns with the closest known key and never throws", () => {
    const { warn, messages } = collectWarnings();
    const decoded = decode({ producers: { p1: { topic: "t", batchSzie: 5 } } }, kafkaSchema, "kafka", warn);
    expect(decoded.producers.p1?.batchSize).toBe(100);
    expect(messages).toEqual(["kafka.producers.p1.batchSzie: unknown key; did you mean batchSize?"]);
  });

  it("gives no suggestion when nothing is close", () => {
    const { warn, messages } = collectWarnings();
    decode({ zookeeper: "x", clinet: {} }, kafkaSchema, "kafka", warn);
    expect(messages).toEqual(["kafka.zookeeper: unknown key", "kafka.clinet: unknown key; did you mean client?"]);
  });

  it("suggests for keys in nested objects too", () => {
    const { warn, messages } = collectWarnings();
    decode({ client: { timout: "1s" } }, kafkaSchema, "kafka", warn);
    expect(messages).toEqual(["kafka.client.timout: unknown key; did you mean timeout?"]);
  });
});

describe("decode: ${ENV} references", () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.EKAFKA_TEST_PASSWORD = "s3cret";
    process.env.EKAFKA_TEST_BATCH = "25";
    process.env.EKAFKA_TEST_EMPTY = "";
    delete process.env.EKAFKA_TEST_MISSING;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("replaces ${NAME} in strings, before converting the value", () => {
    const decoded = decode(
      {
        saslPassword: "${EKAFKA_TEST_PASSWORD}",
        producers: { p1: { batchSize: "${EKAFKA_TEST_BATCH}", topic: "t-${EKAFKA_TEST_BATCH}-x" } },
      },
      kafkaSchema,
      "kafka",
    );
    expect(decoded.saslPassword).toBe("s3cret");
    expect(decoded.producers.p1?.batchSize).toBe(25);
    expect(decoded.producers.p1?.topic).toBe("t-25-x");
  });

  it("replaces references inside properties tables and list items", () => {
    const decoded = decode(
      { brokers: ["${EKAFKA_TEST_BATCH}:1"], librdkafka: { "sasl.password": "${EKAFKA_TEST_PASSWORD}", list: ["${EKAFKA_TEST_BATCH}"] } },
      kafkaSchema,
      "kafka",
    );
    expect(decoded.brokers).toEqual(["25:1"]);
    expect(decoded.librdkafka).toEqual({ "sasl.password": "s3cret", list: "25" });
  });

  it("throws naming the variable and the key when a variable is not set", () => {
    const error = errorOf(() => decode({ saslPassword: "${EKAFKA_TEST_MISSING}" }, kafkaSchema, "kafka"));
    expect(error.message).toBe(
      "kafka.saslPassword: environment variable EKAFKA_TEST_MISSING is not set (the value refers to it as " +
        "${EKAFKA_TEST_MISSING}; write ${EKAFKA_TEST_MISSING:-default} to give a fallback)",
    );
    expect(error.key).toBe("kafka.saslPassword");
    expect(errorOf(() => decode({ librdkafka: { "sasl.password": "${EKAFKA_TEST_MISSING}" } }, kafkaSchema, "kafka")).key).toBe(
      "kafka.librdkafka.sasl.password",
    );
  });

  it("uses an empty variable as is, and ${NAME:-fallback} when unset or empty", () => {
    const decoded = decode(
      {
        saslPassword: "${EKAFKA_TEST_EMPTY}",
        producers: { a: { topic: "${EKAFKA_TEST_MISSING:-fallback}" }, b: { topic: "${EKAFKA_TEST_EMPTY:-x}" } },
      },
      kafkaSchema,
      "kafka",
    );
    expect(decoded.saslPassword).toBe("");
    expect(decoded.producers.a?.topic).toBe("fallback");
    expect(decoded.producers.b?.topic).toBe("x");
  });

  it("reads $${ as a literal ${ and leaves text that is not a reference alone", () => {
    const decoded = decode(
      { producers: { a: { topic: "$${EKAFKA_TEST_PASSWORD}" }, b: { topic: "${not a name} ${} $x" } } },
      kafkaSchema,
      "kafka",
    );
    expect(decoded.producers.a?.topic).toBe("${EKAFKA_TEST_PASSWORD}");
    expect(decoded.producers.b?.topic).toBe("${not a name} ${} $x");
  });
});
