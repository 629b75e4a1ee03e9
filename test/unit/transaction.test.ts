// The deadline the transactions put on librdkafka's transactional calls. The native producer here is a
// stand-in that answers each call as the test says: it checks our own rule (when a call is given up, and
// what the producer does after), not Kafka's behaviour, which the exactly-once e2e files show.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Producer as NativeProducer } from "@confluentinc/kafka-javascript";
import { KafkaError } from "../../src/errors.js";
import { STUCK_CALL_GRACE_MS, Transactions } from "../../src/transaction.js";

type Callback = (err: unknown) => void;
const TIMEOUT_MS = 1_000;

/** A native producer whose transactional calls answer at once, except the ones named in `silent` (never). */
function nativeProducer(silent: ReadonlySet<string>) {
  const calls: string[] = [];
  const late: Callback[] = [];
  const answer = (name: string, cb: Callback) => {
    calls.push(name);
    if (silent.has(name)) late.push(cb);
    else queueMicrotask(() => cb(null));
  };
  const client = {
    initTransactions: (_t: number, cb: Callback) => answer("initTransactions", cb),
    beginTransaction: (cb: Callback) => answer("beginTransaction", cb),
    commitTransaction: (_t: number, cb: Callback) => answer("commitTransaction", cb),
    abortTransaction: (_t: number, cb: Callback) => answer("abortTransaction", cb),
  };
  return { client: client as unknown as NativeProducer, calls, late };
}

function transactionsOver(client: NativeProducer) {
  return new Transactions({
    key: "kafka.producers.tx",
    transactionalID: "tx-1",
    timeoutMs: TIMEOUT_MS,
    client,
    logger: pino({ level: "silent" }),
    connect: async () => undefined,
    write: async () => ({ delivered: Promise.resolve() }),
  });
}

describe("Transactions: a transactional call librdkafka never answers", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it(`is given up after transactionTimeout + ${STUCK_CALL_GRACE_MS} ms with a fatal error naming the operation, and the producer runs no more transactions`, async () => {
    const native = nativeProducer(new Set(["commitTransaction"]));
    const transactions = transactionsOver(native.client);
    await transactions.begin();
    const commit = transactions.commit();
    const outcome = commit.then(
      () => undefined,
      (error: unknown) => error,
    );

    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + STUCK_CALL_GRACE_MS - 1);
    expect(await Promise.race([outcome, Promise.resolve("pending")])).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;

    expect(error).toBeInstanceOf(KafkaError);
    expect(error).toMatchObject({ operation: "CommitTransaction", key: "kafka.producers.tx", fatal: true });
    expect((error as Error).message).toContain(
      `kafka.producers.tx: CommitTransaction failed: librdkafka did not answer within ${TIMEOUT_MS + STUCK_CALL_GRACE_MS} ms`,
    );
    expect(transactions.isOpen).toBe(false);
    expect(transactions.stuck).toBe(true); // its close() will not wait for librdkafka
    await expect(transactions.begin()).rejects.toBe(error);
    // No abort was attempted on the stuck producer (librdkafka refuses any call while one is in progress).
    expect(native.calls).toEqual(["initTransactions", "beginTransaction", "commitTransaction"]);
  });

  it("drops an answer that comes after the deadline (no unhandled rejection, the error stays the deadline's)", async () => {
    const native = nativeProducer(new Set(["commitTransaction"]));
    const transactions = transactionsOver(native.client);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      await transactions.begin();
      const commit = transactions.commit().catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(TIMEOUT_MS + STUCK_CALL_GRACE_MS);
      const error = await commit;
      native.late[0]!(Object.assign(new Error("Local: Timed out"), { code: -185 }));
      await vi.advanceTimersByTimeAsync(10);
      vi.useRealTimers();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      await expect(transactions.begin()).rejects.toBe(error);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("leaves a call answered before the deadline as it was: committed, and the next transaction runs", async () => {
    const native = nativeProducer(new Set());
    const transactions = transactionsOver(native.client);
    await transactions.begin();
    await transactions.commit();
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + STUCK_CALL_GRACE_MS);
    await transactions.begin();
    expect(transactions.isOpen).toBe(true);
    expect(transactions.stuck).toBe(false);
    expect(native.calls).toEqual(["initTransactions", "beginTransaction", "commitTransaction", "beginTransaction"]);
  });
});
