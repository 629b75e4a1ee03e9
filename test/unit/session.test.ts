// The consumer session's logic without a broker: rebalances, fetches, commits and connects driven
// through a fake of its native seam (test/unit/support/fake-consumer-port.ts).
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { KafkaError } from "../../src/errors.js";
import { AssignedPartitions, RevokedPartitions } from "../../src/events.js";
import { Message } from "../../src/message.js";
import { fakeSession, nativeMessage, settle } from "./support/fake-consumer-port.js";

const t0 = { topic: "t", partition: 0 };

/** A session assigned t/0 that handed out messages 0..4 of it; no fetch is in flight. */
async function readingSession(options: { deferRevocation?: boolean } = {}) {
  const fake = fakeSession(options);
  const { session, port } = fake;
  const assigned = session.next();
  await settle();
  port.assignPartitions(t0);
  expect(await assigned).toBeInstanceOf(AssignedPartitions);
  const messages = session.nextBatch({}, 10);
  await settle();
  port.answerFetch([0, 1, 2, 3, 4].map((offset) => nativeMessage("t", 0, offset)));
  const batch = (await messages) as Message[];
  expect(batch.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
  await settle();
  expect(port.fetches).toHaveLength(0);
  return { ...fake, batch };
}

describe("ConsumerSession", () => {
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

  it("stores offsets only for partitions it holds", async () => {
    const { session, port, batch } = await readingSession();
    session.ledger.store([...batch, new Message({ topic: "t", partition: 1, offset: 7 })]);
    // The next fetch round hands the stored offsets over.
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
    await session.close();
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
