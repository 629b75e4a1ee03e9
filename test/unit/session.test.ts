// The consumer session's logic without a broker: rebalances, fetches, commits and connects driven
// through a fake of its native seam (test/unit/support/fake-consumer-port.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { KafkaError } from "../../src/errors.js";
import { AssignedPartitions, RevokedPartitions } from "../../src/events.js";
import { Message } from "../../src/message.js";
import { isIncrementalGroup, standbyProperties } from "../../src/standby-fetch.js";
import type { ConsumerSession } from "../../src/session.js";
import { FakeConsumerPort, fakeSession, nativeMessage, settle } from "./support/fake-consumer-port.js";

const t0 = { topic: "t", partition: 0 };

/** A session assigned t/0 that handed out messages 0..4 of it; the next fetch is in flight (taking them started it). */
/** A session whose member was assigned t/0, before any message. */
async function assignedSession(options: { deferRevocation?: boolean } = {}) {
  const fake = fakeSession(options);
  const { session, port } = fake;
  const assigned = session.next();
  await settle();
  port.assignPartitions(t0);
  expect(await assigned).toBeInstanceOf(AssignedPartitions);
  return fake;
}

async function readingSession(options: { deferRevocation?: boolean } = {}) {
  const fake = await assignedSession(options);
  const { session, port } = fake;
  const messages = session.nextBatch({}, 10);
  await settle();
  port.answerFetch([0, 1, 2, 3, 4].map((offset) => nativeMessage("t", 0, offset)));
  const batch = (await messages) as Message[];
  expect(batch.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
  await settle();
  expect(port.fetches).toHaveLength(1);
  return { ...fake, batch };
}

describe("ConsumerSession", () => {
  afterEach(() => vi.useRealTimers());

  it("commits the stored offsets before releasing partitions revoked while close() waits for a fetch in flight", async () => {
    const { session, port, batch } = await readingSession();
    const polling = session.next().catch((e: unknown) => e); // starts a fetch
    await settle();
    expect(port.fetches).toHaveLength(1);
    // Handled, and stored after the fetch began: librdkafka has not seen these offsets yet.
    session.ledger.store(batch);
    const closed = session.close();
    await settle();
    expect(await polling).toBeInstanceOf(Error); // closing ends the wait ...
    expect(port.calls).not.toContain("disconnect"); // ... and close waits for the fetch
    // Meanwhile another member joins and the group takes t/0 away.
    port.revokePartitions(t0);
    await settle();
    expect(port.calls).not.toContain("unassign"); // not released before its offsets are committed
    port.answerFetch([]);
    await closed;
    expect(port.committedOffsets.get("t/0")).toBe(5);
    const tail = port.calls.slice(port.calls.indexOf("store t/0@5"));
    expect(tail).toEqual(["store t/0@5", "commit", "unassign", "disconnect"]);
  });

  it("a revocation completing on its own (Consumer) while close() waits for a fetch also commits first", async () => {
    const { session, port, batch } = await readingSession({ deferRevocation: false });
    session.ledger.store(batch);
    void session.next().catch(() => undefined); // starts a fetch
    await settle();
    const closed = session.close();
    await settle();
    port.revokePartitions(t0);
    await settle();
    port.answerFetch([]);
    await closed;
    expect(port.committedOffsets.get("t/0")).toBe(5);
    expect(port.calls.indexOf("commit")).toBeLessThan(port.calls.indexOf("unassign"));
  });

  it("on an ordinary revocation, commits the stored offsets before the partitions are released", async () => {
    const { session, port, batch } = await readingSession();
    session.ledger.store(batch.slice(0, 3));
    port.revokePartitions(t0);
    const revoked = await session.next();
    expect(revoked).toBeInstanceOf(RevokedPartitions);
    // The application still holds the partitions: it may store the rest of its work.
    session.ledger.store(batch.slice(3));
    expect(port.calls).not.toContain("unassign");
    await (revoked as RevokedPartitions).release();
    expect(port.committedOffsets.get("t/0")).toBe(5);
    const tail = port.calls.slice(port.calls.indexOf("store t/0@5"));
    expect(tail).toEqual(["store t/0@5", "commit", "unassign"]);
    // Released once: the next poll does not commit or unassign again.
    const next = session.next({ timeoutMs: 50 }).catch((e: unknown) => e);
    await settle();
    expect(port.calls.filter((c) => c === "unassign")).toHaveLength(1);
    expect(((await next) as Error).name).toBe("TimeoutError");
  });

  it("the next poll releases a revocation the application saw and did not release itself", async () => {
    const { session, port, batch } = await readingSession();
    session.ledger.store(batch);
    port.revokePartitions(t0);
    expect(await session.next()).toBeInstanceOf(RevokedPartitions);
    const next = session.next({ timeoutMs: 50 }).catch(() => undefined);
    await settle();
    expect(port.committedOffsets.get("t/0")).toBe(5);
    expect(port.calls.indexOf("commit")).toBeLessThan(port.calls.indexOf("unassign"));
    await next;
  });

  it("with releaseRevoked: false, polls on and keeps a delivered revocation until its release()", async () => {
    const { session, port, batch } = await readingSession();
    port.revokePartitions(t0);
    const revoked = (await session.next({ releaseRevoked: false })) as RevokedPartitions;
    expect(revoked).toBeInstanceOf(RevokedPartitions);
    const next = session.next({ timeoutMs: 50, releaseRevoked: false }).catch((e: unknown) => e);
    await settle();
    expect(port.calls).not.toContain("unassign"); // the poll did not release it
    expect(((await next) as Error).name).toBe("TimeoutError");
    session.ledger.store(batch); // the revoked partition's last handler finishes meanwhile
    await revoked.release();
    expect(port.committedOffsets.get("t/0")).toBe(5);
    expect(port.calls.indexOf("commit")).toBeLessThan(port.calls.indexOf("unassign"));
  });

  it("starts the next fetch when the application takes a fetch's messages, so librdkafka gathers it while they are handled", async () => {
    const { session, port } = await assignedSession();
    const first = session.nextBatch({}, 10);
    await settle();
    expect(port.calls.filter((c) => c === "consume")).toHaveLength(1);
    port.answerFetch([0, 1, 2].map((offset) => nativeMessage("t", 0, offset)));
    expect(((await first) as Message[]).map((m) => m.offset)).toEqual([0, 1, 2]);
    // No further poll yet: the messages are being handled, and the next fetch is already under way.
    expect(port.calls.filter((c) => c === "consume")).toHaveLength(2);
    expect(port.fetches).toHaveLength(1);
    port.answerFetch([nativeMessage("t", 0, 3)]);
    expect(((await session.nextBatch({}, 10)) as Message[]).map((m) => m.offset)).toEqual([3]);
  });

  it("starts the next fetch before queuing a fetch's messages when a waiting poll takes them all", async () => {
    const { session, port } = await assignedSession();
    port.watermarks = () => {
      port.calls.push("watermarks"); // read while the fetch's messages are turned into ekafka's and queued
      return { low: 0, high: 100 };
    };
    const whole = session.nextBatch({}, 10);
    await settle();
    expect(port.fetches).toHaveLength(1);
    port.calls.length = 0;
    port.answerFetch([0, 1, 2].map((offset) => nativeMessage("t", 0, offset)));
    expect(((await whole) as Message[]).map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(port.calls.slice(0, 2)).toEqual(["consume", "watermarks"]);

    // A poll that takes fewer than the fetch brings: the messages are queued first (the next fetch starts
    // when that poll takes them, as before).
    const part = session.nextBatch({}, 2);
    await settle();
    port.calls.length = 0;
    port.answerFetch([3, 4, 5].map((offset) => nativeMessage("t", 0, offset)));
    expect(((await part) as Message[]).map((m) => m.offset)).toEqual([3, 4]);
    expect(port.calls.slice(0, 2)).toEqual(["watermarks", "consume"]);
  });

  it("sizes a fetch started ahead of a waiting poll by the pace, counting each message it hands over once", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { session, port } = await assignedSession();
    const sizes = port.fetchSizes;
    for (const offset of [0, 1, 2]) {
      const polled = session.nextBatch({}, 10);
      await settle();
      vi.setSystemTime(Date.now() + 10);
      // Three messages every 10 ms: 0.3 a millisecond, 300 per second ahead (FetchPace).
      port.answerFetch([0, 1, 2].map((i) => nativeMessage("t", 0, offset * 3 + i)));
      expect(await polled).toHaveLength(3);
    }
    // The first fetches are sized before any pace is known; from then on 300: not 1 (messages handed over
    // uncounted), nor more (counted twice).
    expect(sizes.slice(-2)).toEqual([300, 300]);
  });

  it("stores offsets only for partitions it holds", async () => {
    const { session, port, batch } = await readingSession();
    session.ledger.store([...batch, new Message({ topic: "t", partition: 1, offset: 7 })]);
    // The next fetch round hands the stored offsets over (the one in flight began before they were stored).
    port.answerFetch([]);
    const next = session.next({ timeoutMs: 50 }).catch(() => undefined);
    await settle();
    expect(port.calls.filter((c) => c.startsWith("store"))).toEqual(["store t/0@5"]);
    await next;
    // Released partitions take no offsets either.
    port.revokePartitions(t0);
    await (session.next() as Promise<RevokedPartitions>).then((revoked) => revoked.release());
    session.ledger.store([new Message({ topic: "t", partition: 0, offset: 9 })]);
    session.ledger.flush();
    expect(port.calls.filter((c) => c.startsWith("store"))).toEqual(["store t/0@5"]);
    expect(port.stored.get("t/1")).toBeUndefined();
  });

  it("drops fetched messages of a partition revoked meanwhile", async () => {
    const { session, port } = await readingSession();
    const polling = session.next(); // starts a fetch
    await settle();
    port.revokePartitions(t0);
    expect(await polling).toBeInstanceOf(RevokedPartitions);
    port.answerFetch([nativeMessage("t", 0, 5), nativeMessage("t", 0, 6)]);
    const next = session.next({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(((await next) as Error).name).toBe("TimeoutError");
  });

  it("after a fetch error, fetches again only once a backoff step has passed", async () => {
    const { session, port, sleep } = await readingSession();
    const consumes = () => port.calls.filter((c) => c === "consume").length;
    const polling = session.next(); // starts a fetch
    await settle();
    const before = consumes();
    port.answerFetch(Object.assign(new Error("Broker: Unknown topic or partition"), { code: 3 }));
    const first = await polling;
    expect(first).toBeInstanceOf(KafkaError);
    expect((first as KafkaError).message).toContain("FetchMessage (topic t) failed");
    // Polling again while the step runs neither fetches nor repeats the error.
    const next = session.next();
    await settle();
    expect(consumes()).toBe(before);
    expect(sleep.pending).toBe(1);
    expect(sleep.waits[0]!.ms).toBeLessThanOrEqual(1000);
    sleep.endNext();
    await settle();
    expect(consumes()).toBe(before + 1);
    port.answerFetch(new Error("Broker: Unknown topic or partition"));
    expect(await next).toBeInstanceOf(KafkaError);
    await settle();
    expect(sleep.pending).toBe(1); // the second error waits a step of its own
    expect(consumes()).toBe(before + 1);
  });

  it("close() commits the stored offsets once, then leaves", async () => {
    const { session, port, batch } = await readingSession();
    session.ledger.store(batch);
    const closing = session.close();
    await settle();
    port.answerFetch([]); // close waits for the fetch in flight
    await closing;
    await session.close();
    expect(port.calls.filter((c) => c.startsWith("commit"))).toEqual(["commit"]);
    expect(port.calls.slice(-2)).toEqual(["commit", "disconnect"]);
    expect(port.committedOffsets.get("t/0")).toBe(5);
    await expect(session.next()).rejects.toThrow(/closed/);
  });

  it("after a failed connect, connects again only once a backoff step has passed", async () => {
    const { session, port, sleep } = fakeSession();
    const refusedByBrokers = () =>
      new KafkaError("g: connect failed: Local: Broker transport failure", { operation: "connect", key: "g", code: -195 });
    port.connectOutcomes.push(refusedByBrokers(), refusedByBrokers());
    expect(await session.next()).toBeInstanceOf(KafkaError);
    const second = session.next();
    await settle();
    expect(port.calls.filter((c) => c === "connect")).toHaveLength(1);
    expect(sleep.pending).toBe(1);
    sleep.endNext();
    expect(await second).toBeInstanceOf(KafkaError);
    expect(port.calls.filter((c) => c === "connect")).toHaveLength(2);
    const third = session.next();
    await settle();
    expect(sleep.pending).toBe(1);
    sleep.endNext();
    await settle();
    expect(port.calls).toEqual(["connect", "connect", "connect", "subscribe t", "consume"]);
    port.assignPartitions(t0);
    expect(await third).toBeInstanceOf(AssignedPartitions);
  });

  it("a configuration librdkafka refuses fails every call with the same ConfigError, connecting once", async () => {
    const { session, port, sleep } = fakeSession();
    const refused = new ConfigError("kafka.consumerGroups.g.properties.group.protocol: librdkafka refused the configuration");
    port.connectOutcomes.push(refused);
    await expect(session.next()).rejects.toBe(refused);
    await expect(session.nextBatch({}, 10)).rejects.toBe(refused);
    await expect(session.ready()).rejects.toBe(refused);
    expect(port.calls).toEqual(["connect"]);
    expect(sleep.waits).toEqual([]);
    await session.close();
  });

  it("close() during a connect backoff ends the wait and does not connect", async () => {
    const { session, port } = fakeSession();
    port.connectOutcomes.push(new KafkaError("g: connect failed", { operation: "connect", key: "g" }));
    expect(await session.next()).toBeInstanceOf(KafkaError);
    const next = session.next().catch((e: unknown) => e);
    await settle();
    await session.close();
    expect(port.calls).toEqual(["connect"]);
    expect(await next).toBeInstanceOf(Error);
  });
});

describe("ConsumerSession with incremental rebalancing: the standby consumer", () => {
  const t1 = { topic: "t", partition: 1 };

  /** A member with a standby (connecting unless `standbyConnects` is false), assigned `partitions`. */
  async function memberWithStandby(partitions: Array<{ topic: string; partition: number }>, standbyConnects = true) {
    const standby = new FakeConsumerPort();
    if (!standbyConnects) standby.connectOutcomes.push(new Error("standby refused"));
    const fake = fakeSession({ standby });
    const assigned = fake.session.next();
    await settle();
    fake.port.assignPartitions(...partitions);
    expect(await assigned).toBeInstanceOf(AssignedPartitions);
    return { ...fake, standby };
  }

  /** What a session hands out, as "partition@offset", while the test answers its fetches. */
  function reader(session: ConsumerSession) {
    const taken: string[] = [];
    /**
     * Starts one take (it may start fetches), lets `answer` answer them, and records what it got; a take
     * that got nothing once the answers settled is ended (no clock: a loaded machine cannot cut it short).
     */
    const takeAfter = async (answer: () => void = () => undefined) => {
      const end = new AbortController();
      const next = session.nextBatch({ releaseRevoked: false, signal: end.signal }, 10).catch(() => []);
      await settle();
      answer();
      await settle();
      end.abort();
      const batch = await next;
      if (Array.isArray(batch)) taken.push(...batch.map((m) => `${m.partition}@${m.offset}`));
    };
    return { taken, takeAfter };
  }

  /** Answers the member's latest fetch with `messages` (older ones, from earlier takes, with nothing). */
  function answerLatest(port: FakeConsumerPort, messages: ReturnType<typeof nativeMessage>[]): void {
    while (port.fetches.length > 1) port.answerFetch([]);
    port.answerFetch(messages);
  }

  /**
   * A member with a standby, assigned t/0 and t/1, that read messages 0..4 of each; then the group takes
   * t/0 away and the revocation is handed out, not released yet.
   */
  async function holdingRevocation(options: { standbyConnects?: boolean } = {}) {
    const fake = await memberWithStandby([t0, t1], options.standbyConnects);
    const { session, port } = fake;
    const read = session.nextBatch({}, 20);
    await settle();
    port.answerFetch([0, 1, 2, 3, 4].flatMap((offset) => [nativeMessage("t", 0, offset), nativeMessage("t", 1, offset)]));
    expect(((await read) as Message[]).length).toBe(10);
    await settle();
    port.positions = [
      { topic: "t", partition: 0, offset: 5 },
      { topic: "t", partition: 1, offset: 5 },
    ];
    port.revokePartitions(t0);
    const revoked = (await session.next({ releaseRevoked: false })) as RevokedPartitions;
    expect(revoked).toBeInstanceOf(RevokedPartitions);
    await settle();
    // The member's fetch in flight at the pause (taking 0..4 started it) brings nothing: librdkafka paused the partitions.
    port.answerFetch([]);
    await settle();
    return { ...fake, revoked };
  }

  it("fetches the kept partitions while a revocation is held; released, the member goes on from where the standby got to", async () => {
    const { session, port, standby, revoked } = await holdingRevocation();
    // Only the partition kept, from the member's position.
    expect(standby.calls.slice(0, 2)).toEqual(["connect", "assign t/1@5"]);
    // librdkafka has paused the member's partitions: its fetches bring nothing; the standby's bring t/1.
    const { taken, takeAfter } = reader(session);
    await takeAfter(() => standby.answerFetch([5, 6, 7].map((offset) => nativeMessage("t", 1, offset))));
    expect(taken).toEqual(["1@5", "1@6", "1@7"]);
    // Released: the member is moved to 8 before librdkafka resumes t/1 (the unassign).
    await revoked.release();
    expect(port.calls.slice(port.calls.indexOf("commit"))).toEqual(["commit", "seek t/1@8", "unassign"]);
    // The standby reads on until the member caught up: whichever brings an offset first hands it out.
    await takeAfter(() => standby.answerFetch([8, 9].map((offset) => nativeMessage("t", 1, offset))));
    await takeAfter(() =>
      answerLatest(
        port,
        [8, 9, 10].map((offset) => nativeMessage("t", 1, offset)),
      ),
    );
    expect(taken).toEqual(["1@5", "1@6", "1@7", "1@8", "1@9", "1@10"]);
    // Caught up: the standby lets go, and what it still brings is dropped.
    expect(standby.calls.at(-1)).toBe("unassign");
    while (standby.fetches.length > 0) standby.answerFetch([nativeMessage("t", 1, 11)]);
    await takeAfter(() => answerLatest(port, [nativeMessage("t", 1, 11)]));
    expect(taken.slice(6)).toEqual(["1@11"]);
  });

  it("bridges an incremental assignment: reads the partitions held from the member's positions until the member caught up, after the member's fetch in flight", async () => {
    const { session, port, standby } = await memberWithStandby([t0]);
    const { taken, takeAfter } = reader(session);
    await takeAfter(() => {
      // A member fetch in flight (brings 3 and 4, consumed from librdkafka already) when librdkafka
      // pauses t/0 for an assignment; this take gets the AssignedPartitions event.
      port.positions = [{ topic: "t", partition: 0, offset: 5 }];
      port.assignPartitions(t1);
    });
    await takeAfter(() => {
      // The standby took t/0 from the member's position, and fetches only once the member's fetch in flight is in.
      expect(standby.calls).toEqual(["connect", "assign t/0@5"]);
      port.answerFetch([nativeMessage("t", 0, 3), nativeMessage("t", 0, 4)]);
    });
    await takeAfter(() => {
      expect(standby.fetches).toHaveLength(1);
      standby.answerFetch([5, 6].map((offset) => nativeMessage("t", 0, offset)));
    });
    // The member resumes where it paused (no seek): 5 and 6 again are dropped, 7 ends the bridge.
    await takeAfter(() =>
      answerLatest(
        port,
        [5, 6, 7].map((offset) => nativeMessage("t", 0, offset)),
      ),
    );
    expect(taken.filter((m) => m.startsWith("0@"))).toEqual(["0@3", "0@4", "0@5", "0@6", "0@7"]);
    expect(port.calls.filter((c) => c.startsWith("seek"))).toEqual([]);
    expect(standby.calls.at(-1)).toBe("unassign");
  });

  it("a standby fetch that fails stops the standby; the member reads its partitions alone, from where it paused", async () => {
    const { session, port, standby, revoked } = await holdingRevocation();
    const { taken, takeAfter } = reader(session);
    await takeAfter(() => standby.answerFetch(new Error("fetch failed")));
    expect(taken).toEqual([]);
    expect(standby.calls.at(-1)).toBe("unassign");
    await revoked.release();
    expect(port.calls.filter((c) => c.startsWith("seek"))).toEqual([]); // it read nothing: the member resumes at 5
    await takeAfter(() =>
      answerLatest(
        port,
        [5, 6].map((offset) => nativeMessage("t", 1, offset)),
      ),
    );
    expect(taken).toEqual(["1@5", "1@6"]);
  });

  it("a standby that did not connect leaves the kept partitions waiting, as without one", async () => {
    const { session, port, standby, revoked } = await holdingRevocation({ standbyConnects: false });
    expect(standby.calls).toEqual(["connect"]);
    const next = session.nextBatch({ releaseRevoked: false, timeoutMs: 50 }, 10).catch((e: unknown) => e);
    await settle();
    expect(standby.fetches).toHaveLength(0);
    expect(((await next) as Error).name).toBe("TimeoutError");
    await revoked.release();
    expect(port.calls.filter((c) => c.startsWith("seek"))).toEqual([]);
    expect(port.calls.at(-1)).toBe("unassign");
  });

  it("a revocation of every partition (an eager rebalance) starts no standby fetch", async () => {
    const { session, port, standby } = await memberWithStandby([t0]);
    port.positions = [{ topic: "t", partition: 0, offset: 5 }];
    port.revokePartitions(t0);
    const revoked = (await session.next({ releaseRevoked: false })) as RevokedPartitions;
    await settle();
    expect(standby.calls).toEqual(["connect"]);
    await revoked.release();
    expect(port.calls.filter((c) => c.startsWith("seek"))).toEqual([]);
  });
});

describe("standby consumer properties", () => {
  it("are the member's, without group membership, commits or statistics", () => {
    const member = {
      "bootstrap.servers": "b:9092",
      "group.id": "g",
      "group.protocol": "consumer",
      "group.remote.assignor": "uniform",
      "group.instance.id": "i1",
      "max.poll.interval.ms": 30000,
      "enable.auto.commit": true,
      "statistics.interval.ms": 5000,
      "isolation.level": "read_committed",
    };
    expect(standbyProperties(member)).toEqual({
      "bootstrap.servers": "b:9092",
      "group.id": "g",
      "enable.auto.commit": false,
      "statistics.interval.ms": 0,
      "isolation.level": "read_committed",
    });
  });

  it("a group is incremental with the consumer protocol or the cooperative-sticky assignor", () => {
    expect(isIncrementalGroup({ "group.protocol": "consumer" })).toBe(true);
    expect(isIncrementalGroup({ "partition.assignment.strategy": "cooperative-sticky" })).toBe(true);
    expect(isIncrementalGroup({ "partition.assignment.strategy": "range,roundrobin" })).toBe(false);
    expect(isIncrementalGroup({ "group.protocol": "classic" })).toBe(false);
  });
});
