import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { decodeConsumerServerConfig, RecoverableError } from "../../../consumerserver/index.js";
import { freshState, stateOf, tierRecord, deadLetterRecord, type Failure } from "../../../consumerserver/failure-headers.js";
import { nextStep } from "../../../consumerserver/next-step.js";
import { retryTierSettings, retryTopicName } from "../../../consumerserver/retry-tiers/settings.js";
import { BatchDelivery } from "../../../consumerserver/context.js";
import { callBatchHandler, chain, retrying, type BatchHandler } from "../../../consumerserver/middleware.js";
import { retryPolicy } from "../../../consumerserver/retry.js";
import { setTierState } from "../../../consumerserver/delivery-state.js";
import { recordingFailures } from "../../../consumerserver/failure-recording.js";
import { movingOnFailure, type FailureDestinations } from "../../../consumerserver/move-on-failure.js";
import { createRetryTiers } from "../../../consumerserver/retry-tiers/create.js";
import { replayDeadLetters } from "../../../consumerserver/retry-tiers/replay.js";
import { Config, ConfigError } from "../../../src/core/index.js";
import { load as loadKafka, Message, type MessageInput } from "../../../src/index.js";

const KEY = "kafkaConsumerServers.s1";
const settingsOf = (raw: Record<string, unknown>) => retryTierSettings(decodeConsumerServerConfig(raw, KEY), KEY);

describe("retry tier settings", () => {
  it("are off without retryDelays: retries stay in place", () => {
    expect(settingsOf({})).toBeUndefined();
  });

  it("read Go durations, the topic format and retryNonRecoverable", () => {
    expect(settingsOf({ retryDelays: ["1s", "10s", "1m30s"], retryTopicFormat: "retry-{n}-{topic}", retryNonRecoverable: true })).toEqual({
      delaysMs: [1000, 10_000, 90_000],
      topicFormat: "retry-{n}-{topic}",
      retryNonRecoverable: true,
    });
    expect(settingsOf({ retryDelays: "1s,2s" })?.delaysMs).toEqual([1000, 2000]);
  });

  it("reject a delay that is not a positive duration, naming the entry", () => {
    expect(() => settingsOf({ retryDelays: ["1s", "soon"] })).toThrow(ConfigError);
    expect(() => settingsOf({ retryDelays: ["1s", "soon"] })).toThrow(`${KEY}.retryDelays[1]`);
    expect(() => settingsOf({ retryDelays: ["0s"] })).toThrow(
      `${KEY}.retryDelays[0]: expected a positive duration such as "10s", found "0s"`,
    );
  });

  it("reject a topic format without {topic} or {n}", () => {
    expect(() => settingsOf({ retryDelays: ["1s"], retryTopicFormat: "{topic}-retry" })).toThrow(
      `${KEY}.retryTopicFormat: expected a pattern containing {n}`,
    );
    expect(() => settingsOf({ retryDelays: ["1s"], retryTopicFormat: "retry.{n}" })).toThrow(
      `${KEY}.retryTopicFormat: expected a pattern containing {topic}`,
    );
  });

  it("name tier n's topic from the format", () => {
    expect(retryTopicName("{topic}.retry.{n}", "orders", 2)).toBe("orders.retry.2");
    expect(retryTopicName("{topic}-retry-{n}", "orders", 1)).toBe("orders-retry-1");
  });
});

describe("the step after a failure", () => {
  const settings = { delaysMs: [1000, 5000], topicFormat: "{topic}.retry.{n}", retryNonRecoverable: false };

  it("goes to the next tier with its delay, then to the dead-letter topic", () => {
    const recoverable = new RecoverableError("busy");
    expect(nextStep(settings, 0, recoverable, true)).toEqual({ kind: "tier", tier: 1, delayMs: 1000 });
    expect(nextStep(settings, 1, recoverable, true)).toEqual({ kind: "tier", tier: 2, delayMs: 5000 });
    expect(nextStep(settings, 2, recoverable, true)).toEqual({ kind: "deadLetter", reason: "exhausted" });
  });

  it("without retry tiers: the dead-letter topic when the server has a dead-letter producer, else the server fails", () => {
    expect(nextStep(undefined, 0, new RecoverableError("busy"), true)).toEqual({ kind: "deadLetter", reason: "exhausted" });
    expect(nextStep(undefined, 0, new TypeError("bad"), true)).toEqual({ kind: "deadLetter", reason: "notRecoverable" });
    expect(nextStep(undefined, 0, new RecoverableError("busy"), false)).toEqual({ kind: "fail" });
  });

  it("skips the remaining tiers for an error that is not recoverable, unless retryNonRecoverable", () => {
    expect(nextStep(settings, 0, new TypeError("bad"), true)).toEqual({ kind: "deadLetter", reason: "notRecoverable" });
    expect(nextStep(settings, 1, new Error("wrapped", { cause: new RecoverableError("busy") }), true)).toEqual({
      kind: "tier",
      tier: 2,
      delayMs: 5000,
    });
    expect(nextStep({ ...settings, retryNonRecoverable: true }, 0, new TypeError("bad"), true)).toEqual({
      kind: "tier",
      tier: 1,
      delayMs: 1000,
    });
  });
});

/** What a consumer would read back after `input` was written to `topic`/`partition`@`offset`. */
function asRead(input: MessageInput, partition: number, offset: number): Message {
  const headers = (input.headers as Array<{ key: string; value: Buffer }>).map((h) => ({ key: h.key, value: Buffer.from(h.value) }));
  return new Message({ topic: input.topic!, partition, offset, key: input.key as Buffer | null, value: input.value as Buffer, headers });
}

const failure = (attempt: number, topic: string, offset: number, error: Error): Failure => ({
  attempt,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, attempt)),
  error,
  topic,
  partition: 2,
  offset,
});

describe("retry tier headers", () => {
  const original = new Message({
    topic: "orders",
    partition: 2,
    offset: 41,
    key: Buffer.from("k1"),
    value: Buffer.from("v"),
    headers: [{ key: "traceparent", value: Buffer.from("00-abc") }],
  });

  it("carry the origin, each attempt, the latest error and the due time into tier 1, and read back as its state", () => {
    const failures = [failure(1, "orders", 41, new RecoverableError("busy"))];
    const due = Date.UTC(2026, 0, 1, 0, 0, 11);
    const record = tierRecord(original, freshState(original), failures, { tier: 1, topic: "orders.retry.1", partition: 2, dueMs: due });
    expect(record.topic).toBe("orders.retry.1");
    expect(record.partition).toBe(2);
    const read = asRead(record, 2, 7);
    expect(read.header("traceparent")).toBe("00-abc");
    expect(read.header("x-ekafka-original-key")).toBe("k1");
    expect(read.header("x-ekafka-error")).toBe("RecoverableError: busy");
    expect(read.header("x-ekafka-attempt-1")).toBe("2026-01-01T00:00:01.000Z orders[2]@41 RecoverableError: busy");
    expect(read.header("x-ekafka-retry-due")).toBe("2026-01-01T00:00:11.000Z");
    const state = stateOf(read, 1);
    expect(state).toMatchObject({ tier: 1, attempts: 1, dueMs: due, origin: { topic: "orders", partition: 2, offset: 41 } });
    expect(state.history.map((h) => h.key)).toEqual(["x-ekafka-attempt-1"]);
  });

  it("keep the whole history, once each, on the next tier and on the dead letter", () => {
    const first = asRead(
      tierRecord(original, freshState(original), [failure(1, "orders", 41, new RecoverableError("one"))], {
        tier: 1,
        topic: "orders.retry.1",
        dueMs: 0,
      }),
      0,
      3,
    );
    const second = asRead(
      tierRecord(first, stateOf(first, 1), [failure(2, "orders.retry.1", 3, new RecoverableError("two"))], {
        tier: 2,
        topic: "orders.retry.2",
        dueMs: 0,
      }),
      0,
      5,
    );
    const dead = asRead(
      { ...deadLetterRecord(second, stateOf(second, 2), [failure(3, "orders.retry.2", 5, new RecoverableError("three"))], "orders.DLT") },
      0,
      0,
    );
    expect(dead.topic).toBe("orders.DLT");
    expect(dead.headers.filter((h) => h.key.startsWith("x-ekafka-")).map((h) => `${h.key}=${h.value.toString()}`)).toEqual([
      "x-ekafka-original-topic=orders",
      "x-ekafka-original-partition=2",
      "x-ekafka-original-offset=41",
      "x-ekafka-attempts=3",
      "x-ekafka-attempt-1=2026-01-01T00:00:01.000Z orders[2]@41 RecoverableError: one",
      "x-ekafka-attempt-2=2026-01-01T00:00:02.000Z orders.retry.1[2]@3 RecoverableError: two",
      "x-ekafka-attempt-3=2026-01-01T00:00:03.000Z orders.retry.2[2]@5 RecoverableError: three",
      "x-ekafka-error=RecoverableError: three",
      "x-ekafka-original-key=k1",
      "x-ekafka-retry-tier=2",
    ]);
    expect(dead.header("traceparent")).toBe("00-abc");
  });

  it("read a record without them as due now, from where it was read", () => {
    const foreign = new Message({ topic: "orders.retry.1", partition: 0, offset: 9, value: Buffer.from("x") });
    expect(stateOf(foreign, 1)).toEqual({
      tier: 1,
      attempts: 0,
      dueMs: undefined,
      origin: { topic: "orders.retry.1", partition: 0, offset: 9 },
      history: [],
    });
  });

  it("cut a very long error short", () => {
    const long = new RecoverableError("x".repeat(5000));
    const read = asRead(
      tierRecord(original, freshState(original), [failure(1, "orders", 41, long)], { tier: 1, topic: "orders.retry.1", dueMs: 0 }),
      0,
      0,
    );
    const error = read.header("x-ekafka-error")!;
    expect(error.length).toBe("RecoverableError: ".length + 4096 - "RecoverableError: ".length + 1);
    expect(error.endsWith("…")).toBe(true);
  });
});

describe("the retry-tier step with a batch", () => {
  const silent = pino({ level: "silent" });
  const settings = { delaysMs: [1000, 2000], topicFormat: "{topic}.retry.{n}", retryNonRecoverable: false };
  const batchMessage = (offset: number) =>
    new Message({ topic: "orders", partition: 3, offset, key: Buffer.from(`k${offset}`), value: Buffer.from(`v${offset}`) });

  /** The retry-tier steps as a server chains them (no in-place retries), writing into arrays. */
  function pipeline(handler: BatchHandler) {
    const retried: MessageInput[] = [];
    const dead: MessageInput[] = [];
    const writes: number[] = []; // records per write call
    const destinations: FailureDestinations = {
      tiers: {
        settings,
        retryWriter: {
          writeMessages: async (...records) => {
            writes.push(records.length);
            retried.push(...records);
          },
        },
        retryTopic: (topic, n) => retryTopicName(settings.topicFormat, topic, n),
        retryPartition: (_topic, partition) => partition,
      },
      deadLetter: {
        writer: {
          writeMessages: async (...records) => {
            writes.push(records.length);
            dead.push(...records);
          },
        },
        topicOf: (topic) => `${topic}.DLT`,
      },
    };
    const handle = chain(
      callBatchHandler(handler),
      movingOnFailure(destinations, () => undefined),
      retrying(retryPolicy({ attempts: 0 }), () => undefined),
      recordingFailures(),
    );
    return { handle, retried, dead, writes };
  }

  const texts = (record: MessageInput) =>
    Object.fromEntries((record.headers as Array<{ key: string; value: Buffer }>).map((h) => [h.key, h.value.toString()]));

  it("moves the messages not resolved when the handler failed to tier 1, one record each naming its own offset, and resolves", async () => {
    const stored: number[] = [];
    const { handle, retried, dead, writes } = pipeline((_ctx, batch) => {
      for (const message of batch.messages) {
        if (message.offset === 11) throw new RecoverableError("dependency down");
        batch.resolve(message);
      }
    });
    const delivery = new BatchDelivery([10, 11, 12].map(batchMessage), new AbortController().signal, silent, (m) => stored.push(m.offset));
    await expect(handle(delivery)).resolves.toBeUndefined();
    expect(stored).toEqual([10]);
    expect(dead).toEqual([]);
    expect(writes).toEqual([2]); // one acknowledged write for the batch's records
    expect(retried.map((r) => [r.topic, r.partition, (r.value as Buffer).toString()])).toEqual([
      ["orders.retry.1", 3, "v11"],
      ["orders.retry.1", 3, "v12"],
    ]);
    expect(texts(retried[1]!)).toMatchObject({
      "x-ekafka-original-topic": "orders",
      "x-ekafka-original-offset": "12",
      "x-ekafka-original-key": "k12",
      "x-ekafka-attempts": "1",
      "x-ekafka-retry-tier": "1",
      "x-ekafka-error": "RecoverableError: dependency down",
    });
    expect(texts(retried[1]!)["x-ekafka-attempt-1"]).toMatch(/^\S+ orders\[3\]@12 RecoverableError: dependency down$/);
    // Every message left goes: none was resolved, so the whole batch.
    const whole = pipeline(() => {
      throw new RecoverableError("bulk insert failed");
    });
    await whole.handle(new BatchDelivery([20, 21].map(batchMessage), new AbortController().signal, silent, () => undefined));
    expect(whole.retried.map((r) => texts(r)["x-ekafka-original-offset"])).toEqual(["20", "21"]);
  });

  it("sends a record of the last tier to the dead-letter topic with its history, and writes nothing when all was resolved", async () => {
    const { handle, retried, dead } = pipeline(() => {
      throw new RecoverableError("still down");
    });
    const first = batchMessage(5);
    const inTier2 = asRead(
      tierRecord(first, freshState(first), [failure(1, "orders", 5, new RecoverableError("one"))], {
        tier: 2,
        topic: "orders.retry.2",
        dueMs: 0,
      }),
      3,
      8,
    );
    const delivery = new BatchDelivery([inTier2], new AbortController().signal, silent, () => undefined);
    const state = stateOf(inTier2, 2);
    delivery.attempts = state.attempts;
    setTierState(delivery, state);
    await handle(delivery);
    expect(retried).toEqual([]);
    expect(dead.map((r) => r.topic)).toEqual(["orders.DLT"]);
    expect(texts(dead[0]!)).toMatchObject({ "x-ekafka-attempts": "2", "x-ekafka-retry-tier": "2", "x-ekafka-original-offset": "5" });
    expect(texts(dead[0]!)["x-ekafka-attempt-2"]).toMatch(/^\S+ orders\.retry\.2\[3\]@8 RecoverableError: still down$/);

    const resolvedAll = pipeline((_ctx, batch) => {
      batch.resolve(batch.messages.at(-1)!);
      throw new RecoverableError("failed after resolving everything");
    });
    await resolvedAll.handle(new BatchDelivery([30, 31].map(batchMessage), new AbortController().signal, silent, () => undefined));
    expect(resolvedAll.writes).toEqual([]);
  });
});

describe("a server's retry tiers", () => {
  const kafkaOf = () =>
    loadKafka(
      "kafka",
      new Config().loadString(`
[kafka]
brokers = ["127.0.0.1:9091"]
[kafka.producers.retry]
[kafka.consumers.c1]
groupID = "g-go"
topic = "orders"
[kafka.consumerGroups.cg1]
groupID = "g-cg"
topics = ["orders", "refunds"]
`),
    ).build();

  it("derive their group and topics from the entry the server reads with: kafka.consumers (consumerName) or kafka.consumerGroups", async () => {
    const kafka = kafkaOf();
    try {
      const setUp = (reader: { tree: "consumers" | "consumerGroups"; name: string }) =>
        createRetryTiers({
          key: KEY,
          config: decodeConsumerServerConfig({ retryDelays: ["1s", "2s"], retryProducer: "retry" }, KEY),
          component: kafka,
          reader,
          deadLetterName: undefined,
          deadLetterTopicOf: (topic) => `${topic}.DLT`,
          logger: pino({ level: "silent" }),
        })!;
      const goStyle = setUp({ tree: "consumers", name: "c1" });
      expect(goStyle.groupID).toBe("g-go.retry");
      expect(goStyle.topics).toEqual([{ topic: "orders", derived: ["orders.retry.1", "orders.retry.2", "orders.DLT"] }]);
      const grouped = setUp({ tree: "consumerGroups", name: "cg1" });
      expect(grouped.groupID).toBe("g-cg.retry");
      expect(grouped.topics.map((t) => t.topic)).toEqual(["orders", "refunds"]);
      expect(() => setUp({ tree: "consumers", name: "nope" })).toThrow(`${KEY}.consumerName: no entry named "nope" in kafka.consumers`);
    } finally {
      await kafka.close();
    }
  });

  it("are replayed with the settings of one entry, consumerGroupName or consumerName, and not both", async () => {
    const kafka = kafkaOf();
    try {
      const neither = { from: "orders.DLT", producer: "retry" };
      const expected = "replayDeadLetters: set exactly one of consumerGroupName (a kafka.consumerGroups entry) and consumerName";
      await expect(replayDeadLetters(kafka, neither)).rejects.toThrow(expected);
      await expect(replayDeadLetters(kafka, { ...neither, consumerName: "c1", consumerGroupName: "cg1" })).rejects.toThrow(expected);
    } finally {
      await kafka.close();
    }
  });
});
