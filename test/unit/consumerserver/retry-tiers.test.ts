import { describe, expect, it } from "vitest";
import { decodeConsumerServerConfig, RecoverableError } from "../../../consumerserver/index.js";
import { freshState, stateOf, tierRecord, deadLetterRecord, type Failure } from "../../../consumerserver/retry-tiers/headers.js";
import { nextStep } from "../../../consumerserver/retry-tiers/next-step.js";
import { RunTogether, type Runnable } from "../../../consumerserver/retry-tiers/run-together.js";
import { retryTierSettings, retryTopicName } from "../../../consumerserver/retry-tiers/settings.js";
import { ConfigError } from "../../../src/core/index.js";
import { Message, type MessageInput } from "../../../src/index.js";

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
    expect(nextStep(settings, 0, recoverable)).toEqual({ kind: "tier", tier: 1, delayMs: 1000 });
    expect(nextStep(settings, 1, recoverable)).toEqual({ kind: "tier", tier: 2, delayMs: 5000 });
    expect(nextStep(settings, 2, recoverable)).toEqual({ kind: "deadLetter", reason: "exhausted" });
  });

  it("skips the remaining tiers for an error that is not recoverable, unless retryNonRecoverable", () => {
    expect(nextStep(settings, 0, new TypeError("bad"))).toEqual({ kind: "deadLetter", reason: "notRecoverable" });
    expect(nextStep(settings, 1, new Error("wrapped", { cause: new RecoverableError("busy") }))).toEqual({
      kind: "tier",
      tier: 2,
      delayMs: 5000,
    });
    expect(nextStep({ ...settings, retryNonRecoverable: true }, 0, new TypeError("bad"))).toEqual({ kind: "tier", tier: 1, delayMs: 1000 });
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
    expect(read.header("x-ekafka-error")!.length).toBeLessThan(1100);
  });
});

describe("parts of a server run together", () => {
  /** A part that runs until stopped, or fails when told to. */
  function part(): Runnable & { stops: boolean[]; fail(error: Error): void } {
    let settle: (error?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    const stops: boolean[] = [];
    return {
      stops,
      run: () => done,
      stop: (graceful) => {
        stops.push(graceful);
        settle();
      },
      fail: (error) => settle(error),
    };
  }

  it("stop together, and a failure stops the others gracefully and is what run() rejects with", async () => {
    const [a, b] = [part(), part()];
    const together = new RunTogether(a, b);
    const running = together.run();
    a.fail(new Error("retry topic write failed"));
    await expect(running).rejects.toThrow("retry topic write failed");
    expect(b.stops).toEqual([true]);

    const [c, d] = [part(), part()];
    const both = new RunTogether(c, d);
    const run = both.run();
    both.stop(false);
    await run;
    expect([c.stops, d.stops]).toEqual([[false], [false]]);
  });
});
