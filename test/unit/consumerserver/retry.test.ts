import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { MessageDelivery } from "../../../consumerserver/context.js";
import {
  RecoverableError,
  retryBackoff,
  retryPolicy,
  shouldRetry,
  ThrownValueError,
  withRetry,
  type ErrorDetails,
} from "../../../consumerserver/index.js";
import { callHandler, chain, retrying } from "../../../consumerserver/middleware.js";
import { Message } from "../../../src/message.js";

const silent = pino({ level: "silent" });
const message = () => new Message({ topic: "orders", partition: 2, offset: 41, value: Buffer.from("v") });

describe("the retry policy", () => {
  it("defaults to Go ekafka's 3 retries with a 100 ms backoff doubling", () => {
    expect(retryPolicy()).toEqual({ attempts: 3, backoffMs: 100, multiplier: 2, maxBackoffMs: 5000 });
  });

  it("waits with jitter, each delivery on its own backoff, growing about as the policy says", () => {
    const policy = retryPolicy();
    const runs = Array.from({ length: 400 }, () => {
      const backoff = retryBackoff(policy);
      return [backoff.next(), backoff.next(), backoff.next()];
    });
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const [first, second, third] = [0, 1, 2].map((retry) => median(runs.map((run) => run[retry]!)));
    // Medians near 100, 200, 400 ms; jitter spreads each retry's waits over a range.
    expect(first).toBeGreaterThan(50);
    expect(first).toBeLessThan(150);
    expect(second).toBeGreaterThan(first!);
    expect(third).toBeGreaterThan(second!);
    expect(new Set(runs.map((run) => run[0])).size).toBeGreaterThan(20);
  });

  it("caps the backoff", () => {
    const backoff = retryBackoff(retryPolicy({ backoffMs: 1000, maxBackoffMs: 2500 }));
    const waits = Array.from({ length: 20 }, () => backoff.next());
    expect(Math.max(...waits)).toBeLessThanOrEqual(2500);
    expect(waits.slice(-5)).toEqual([2500, 2500, 2500, 2500, 2500]);
  });

  it("retries only recoverable errors, and only `attempts` times after the first call", () => {
    const policy = retryPolicy({ attempts: 3 });
    const recoverable = new Error("wrapped", { cause: new RecoverableError("busy") });
    expect([1, 2, 3, 4].map((calls) => shouldRetry(policy, recoverable, calls))).toEqual([true, true, true, false]);
    expect(shouldRetry(policy, new Error("bad input"), 1)).toBe(false);
    expect(shouldRetry(retryPolicy({ attempts: 0 }), recoverable, 1)).toBe(false);
  });

  it("rejects bad values, naming the field", () => {
    expect(() => withRetry({ attempts: -1 })).toThrow(/attempts must be an integer of at least 0, found -1/);
    expect(() => withRetry({ attempts: 1.5 })).toThrow(/attempts/);
    expect(() => withRetry({ backoffMs: Number.NaN })).toThrow(/backoffMs/);
    expect(() => withRetry({ multiplier: 0.5 })).toThrow(/multiplier must be a number of at least 1/);
  });
});

describe("the retrying middleware", () => {
  function run(handler: (attempt: number) => void, options: { attempts?: number; signal?: AbortSignal } = {}) {
    const reports: { error: Error; details: ErrorDetails }[] = [];
    const attempts: number[] = [];
    const pipeline = chain(
      callHandler((ctx) => {
        attempts.push(ctx.attempt);
        handler(ctx.attempt);
      }),
      retrying(retryPolicy({ attempts: options.attempts ?? 3, backoffMs: 1 }), (error, details) => reports.push({ error, details })),
    );
    const delivery = new MessageDelivery(message(), options.signal ?? new AbortController().signal, silent);
    return { outcome: pipeline(delivery), attempts, reports, delivery };
  }

  it("calls a handler failing recoverably twice 3 times, and succeeds", async () => {
    const { outcome, attempts, reports } = run((attempt) => {
      if (attempt <= 2) throw new RecoverableError(`try ${attempt}`);
    });
    await expect(outcome).resolves.toBeUndefined();
    expect(attempts).toEqual([1, 2, 3]);
    expect(reports.map((r) => [r.details.phase, r.details.attempt, r.details.retrying])).toEqual([
      ["handle", 1, true],
      ["handle", 2, true],
    ]);
  });

  it("gives up after the 4th failure with that failure's error", async () => {
    const { outcome, attempts, reports, delivery } = run((attempt) => {
      throw new RecoverableError(`try ${attempt}`);
    });
    await expect(outcome).rejects.toThrow("try 4");
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(delivery.attempts).toBe(4);
    expect(reports.at(-1)?.details).toMatchObject({ attempt: 4, retrying: false });
  });

  it("does not retry an error that is not recoverable", async () => {
    const failure = new Error("bad input");
    const { outcome, attempts } = run(() => {
      throw failure;
    });
    await expect(outcome).rejects.toBe(failure);
    expect(attempts).toEqual([1]);
  });

  it("wraps a thrown string in an Error naming the message", async () => {
    const { outcome } = run(() => {
      throw "nope";
    });
    const error = await outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrownValueError);
    expect((error as Error).message).toBe(
      'the handler threw a non-Error value (string "nope") while handling topic "orders" partition 2 offset 41',
    );
  });

  it("wraps undefined too", async () => {
    const { outcome } = run(() => {
      throw undefined;
    });
    await expect(outcome).rejects.toThrow(/non-Error value \(undefined\) while handling topic "orders" partition 2 offset 41/);
  });

  it("stops retrying when the signal aborts (hard stop)", async () => {
    const controller = new AbortController();
    const { outcome, attempts, reports } = run(
      () => {
        controller.abort();
        throw new RecoverableError("busy");
      },
      { signal: controller.signal },
    );
    await expect(outcome).rejects.toThrow("busy");
    expect(attempts).toEqual([1]);
    expect(reports).toEqual([]);
  });
});
