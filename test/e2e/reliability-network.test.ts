// Reliability under network faults (local cluster only): clients reach the brokers through the fault
// proxies of support/fault-proxy.ts (the PROXIED listeners), which hang, slow down or reset their
// connections while the brokers themselves keep running. Every message is accounted for and the counts
// are printed:
// - the leader of a partition blackholed for 15 s while two producers (idempotent on and off) write with
//   requiredAcks = -1: every acknowledged write is read back, every other write failed with a timeout
//   error (some of those were written nonetheless), and a message is written twice only if its write was
//   under way to that broker while it hung — the idempotent producer included: in some runs it writes
//   acknowledged messages twice, a first copy when the link comes back and a second one later;
// - the group coordinator's connections reset every 3 s while a Consumer Server consumes and commits:
//   nothing is lost, and duplicates stay within what a commit interval per rebalance can account for;
// - 300 ms added to each direction of every broker connection: a Consumer Server with the default group
//   timeouts keeps up with 50 messages/s and is never rebalanced;
// - one of two members cut off (its connections hang) longer than sessionTimeout: the group hands its
//   partitions to the other member, and once the network is back the first member rejoins on its own.
import kafkaNative from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError, Message as RawMessage } from "@confluentinc/kafka-javascript";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Config } from "ekafka/core";
import { KafkaError, load, withLogger, type Component } from "ekafka";
import { FAST_GROUP, ledTopic } from "./support/component.js";
import { bootstrap, brokers, localCluster, uniqueName } from "./support/env.js";
import { FaultProxies } from "./support/fault-proxy.js";
import { coordinatorOf, readCommitted } from "./support/group.js";
import { collectingLogger } from "./support/logs.js";
import { createTopic } from "./support/raw.js";
import { startServer, type RunningServer } from "./support/server.js";
import { sleep, until } from "./support/wait.js";

const proxies = new FaultProxies();

/** Reads every message of `topic` (all partitions, from the start to the high-water marks) directly, not through the proxies. */
async function readAll(topic: string, partitions: number): Promise<RawMessage[]> {
  const consumer = new kafkaNative.KafkaConsumer(
    { "bootstrap.servers": bootstrap, "group.id": uniqueName("readall"), "enable.auto.commit": false },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const highs = await Promise.all(
      Array.from(
        { length: partitions },
        (_, partition) =>
          new Promise<number>((resolve, reject) =>
            consumer.queryWatermarkOffsets(topic, partition, 10_000, (err: LibrdKafkaError, offsets) =>
              err ? reject(err) : resolve(offsets.highOffset),
            ),
          ),
      ),
    );
    consumer.assign(highs.map((_, partition) => ({ topic, partition, offset: 0 })));
    const next = highs.map(() => 0);
    const messages: RawMessage[] = [];
    const deadline = Date.now() + 60_000;
    while (next.some((offset, p) => offset < highs[p]!)) {
      if (Date.now() > deadline)
        throw new Error(`read ${messages.length} messages of ${topic}; positions ${next.join(",")}, ends ${highs.join(",")}`);
      const batch = await new Promise<RawMessage[]>((resolve, reject) =>
        consumer.consume(1_000, (err, got) => (err ? reject(err) : resolve(got))),
      );
      for (const m of batch) {
        messages.push(m);
        next[m.partition] = m.offset + 1;
      }
    }
    return messages;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** A component on the cluster of e2e.toml, directly (not through the proxies). */
function direct(toml = ""): Component {
  return load(
    "kafka",
    new Config().loadString(`[kafka]\nbrokers = ${JSON.stringify(brokers)}\n[kafka.client]\ntimeout = "10s"\n${toml}`),
  ).build();
}

/** Writes `count` messages "<prefix><i>" to `topic` at `perSecond`, directly; resolves when all were acknowledged. */
async function produceAtRate(
  topic: string,
  prefix: string,
  count: number,
  perSecond: number,
  stop: () => boolean = () => false,
): Promise<number> {
  const kafka = direct(`[kafka.producers.p1]\ntopic = "${topic}"\nbalancer = "hash"\nbatchTimeout = "5ms"\nrequiredAcks = -1`);
  const writes: Promise<void>[] = [];
  try {
    const started = Date.now();
    let i = 0;
    for (; i < count && !stop(); i++) {
      writes.push(kafka.producer("p1").writeMessages({ key: `${prefix}${i}`, value: `${prefix}${i}` }));
      const due = started + ((i + 1) * 1000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    await Promise.all(writes);
    return i;
  } finally {
    await kafka.close();
  }
}

/** A Consumer Server `s1` on group `groupID` of `topic`, reaching the cluster through `brokerList`. */
function serverOn(options: { topic: string; groupID: string; brokerList: string[]; groupKeys: string }): RunningServer {
  return startServer(
    new Config().loadString(`
[kafka]
brokers = ${JSON.stringify(options.brokerList)}
[kafka.client]
timeout = "10s"
[kafka.consumerGroups.cg1]
topic = "${options.topic}"
groupID = "${options.groupID}"
${options.groupKeys}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
`),
  );
}

/** The values a server handled, in order. */
const valuesOf = (server: RunningServer) => server.handled.map((h) => h.message.valueString());

const duplicatesOf = (values: readonly string[]) => values.length - new Set(values).size;

describe.runIf(localCluster)("network faults between clients and brokers (fault proxies)", () => {
  const servers: RunningServer[] = [];
  // Another file may hold the proxies (one at a time): this waits for it.
  beforeAll(() => proxies.start(), 660_000);
  afterEach(async () => {
    proxies.restoreAll();
    await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
  });
  afterAll(() => proxies.close());

  it("a partition leader blackholed for 15 s while producers write with requiredAcks = -1: acknowledged writes are all read back, the others fail with a timeout, every write settles within writeTimeout + 5 s, and only writes under way while the link hung are written twice", async () => {
    const topic = uniqueName("e2e-net-blackhole");
    await createTopic(topic, 3, 3);
    const admin = direct();
    const info = await ledTopic(admin, topic, 3).finally(() => admin.close());
    const victim = info.partitions.find((p) => p.partition === 0)!.leader!;
    const led = info.partitions.filter((p) => p.leader === victim).map((p) => p.partition);

    const RATE = 100; // per producer, messages per second
    const BEFORE_MS = 3_000;
    const BLACKHOLE_MS = 15_000;
    const AFTER_MS = 5_000;
    const WRITE_TIMEOUT_MS = 10_000;
    const producerToml = (idempotent: boolean) => `
[kafka]
brokers = ${JSON.stringify(proxies.brokers)}
[kafka.client]
timeout = "10s"
[kafka.producers.p1]
topic = "${topic}"
balancer = "hash"
requiredAcks = -1
idempotent = ${idempotent}
batchTimeout = "5ms"
writeTimeout = "${WRITE_TIMEOUT_MS}ms"
`;
    const runs = [true, false].map((idempotent) => ({
      idempotent,
      prefix: idempotent ? "idem-" : "plain-",
      kafka: undefined as unknown as Component,
      outcomes: [] as Promise<{ value: string; error?: Error; ms: number; issued: number }>[],
      log: [] as string[],
    }));
    for (const run of runs)
      run.kafka = load("kafka", new Config().loadString(producerToml(run.idempotent))).build(withLogger(collectingLogger(run.log)));
    const timeline: string[] = [];
    const began = Date.now();
    const mark = (what: string) => timeline.push(`${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
    try {
      const total = ((BEFORE_MS + BLACKHOLE_MS + AFTER_MS) / 1000) * RATE;
      let blackholed = false;
      let restored = false;
      let faultFrom = Infinity;
      let faultUntil = Infinity;
      for (let i = 0; i < total; i++) {
        const elapsed = Date.now() - began;
        if (!blackholed && elapsed >= BEFORE_MS) {
          blackholed = true;
          proxies.of(victim).blackhole();
          faultFrom = Date.now();
          mark(`broker ${victim} (leader of partitions ${led.join(", ")}) blackholed`);
        }
        if (blackholed && !restored && elapsed >= BEFORE_MS + BLACKHOLE_MS) {
          restored = true;
          proxies.of(victim).restore();
          faultUntil = Date.now();
          mark(`broker ${victim} restored`);
        }
        for (const run of runs) {
          const value = `${run.prefix}${i}`;
          const issued = Date.now();
          run.outcomes.push(
            run.kafka
              .producer("p1")
              .writeMessages({ key: value, value })
              .then(
                () => ({ value, ms: Date.now() - issued, issued }),
                (error: unknown) => ({ value, error: error as Error, ms: Date.now() - issued, issued }),
              ),
          );
        }
        const due = began + ((i + 1) * 1000) / RATE;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      if (!restored) proxies.of(victim).restore();
      mark("all written");
      const settled = await Promise.all(runs.map((run) => Promise.all(run.outcomes)));
      mark("all writes settled");

      const read = await readAll(topic, 3);
      const readValues = read.map((m) => m.value!.toString());
      const readSet = new Set(readValues);
      const summaries: string[] = [];
      const checks: Array<() => void> = [];
      runs.forEach((run, index) => {
        const outcomes = settled[index]!;
        const acknowledged = outcomes.filter((o) => o.error === undefined).map((o) => o.value);
        const failed = outcomes.filter((o) => o.error !== undefined);
        const mine = readValues.filter((v) => v.startsWith(run.prefix));
        const lost = acknowledged.filter((v) => !readSet.has(v));
        const failedButWritten = failed.filter((o) => readSet.has(o.value)).length;
        const duplicates = duplicatesOf(mine);
        const late = outcomes.filter((o) => o.error === undefined && o.ms > WRITE_TIMEOUT_MS);
        const partitionOf = new Map(read.map((m) => [m.value!.toString(), m.partition]));
        const lateAcks = `${late.length} (by partition ${[0, 1, 2].map((p) => `${p}: ${late.filter((o) => partitionOf.get(o.value) === p).length}`).join(", ")})`;
        const slowest = Math.max(...outcomes.map((o) => o.ms));
        const reasons = [...new Set(failed.map((o) => o.error!.message.replace(/\d+/g, "N")))];
        summaries.push(
          `idempotent ${run.idempotent}: written ${outcomes.length}, acknowledged ${acknowledged.length}, failed ${failed.length} ` +
            `(of which read back anyway ${failedButWritten}), read back ${mine.length}, distinct ${new Set(mine).size}, duplicates ${duplicates}, ` +
            `acknowledged but lost ${lost.length}; acknowledged after more than writeTimeout ${lateAcks}, slowest write settled after ${slowest} ms; failure reasons: ${reasons.join(" | ") || "none"}`,
        );
        const where = new Map<string, string[]>();
        for (const m of read)
          if (m.value!.toString().startsWith(run.prefix))
            where.set(m.value!.toString(), [...(where.get(m.value!.toString()) ?? []), `${m.partition}:${m.offset}`]);
        const doubled = [...where]
          .filter(([, at]) => at.length > 1)
          .slice(0, 5)
          .map(([v, at]) => `${v}@${at.join("/")}`);
        const ackedSet = new Set(acknowledged);
        const doubledValues = [...where].filter(([, at]) => at.length > 1).map(([v]) => v);
        if (doubled.length > 0) {
          summaries.push(
            `  duplicated: ${doubledValues.filter((v) => ackedSet.has(v)).length} acknowledged, ${doubledValues.filter((v) => !ackedSet.has(v)).length} reported failed; e.g. ${doubled.join(", ")}`,
          );
        }
        // A message may be written twice only if its write was under way on the connection that hung (issued
        // at most a second before the blackhole, the batching and send time, and at most writeTimeout after
        // the link came back: librdkafka's request timeout on that connection can fire after the restore and
        // resend everything in flight on it, requests the broker has meanwhile received) and it went to a
        // partition of that broker.
        const issuedAt = new Map(outcomes.map((o) => [o.value, o.issued]));
        const unexplained = doubledValues.filter((v) => {
          const at = issuedAt.get(v) ?? 0;
          const partitions = (where.get(v) ?? []).map((w) => Number(w.split(":")[0]));
          return at < faultFrom - 1_000 || at > faultUntil + WRITE_TIMEOUT_MS || partitions.some((p) => !led.includes(p));
        });
        const notable = run.log.filter((l) => /idempot|epoch|PID|producer ?id|sequence|reset/i.test(l)).slice(0, 5);
        if (notable.length > 0) summaries.push(`  log: ${notable.map((l) => l.slice(0, 400)).join("\n       ")}`);
        checks.push(() => {
          expect(lost.slice(0, 10), `idempotent ${run.idempotent}: acknowledged but not read back`).toEqual([]);
          for (const { error } of failed) {
            expect(error).toBeInstanceOf(KafkaError);
            expect(error!.message).toContain("kafka.producers.p1");
            expect(error!.message).toMatch(/timed out/i);
          }
          expect(unexplained, `idempotent ${run.idempotent}: written twice though not under way while the link hung`).toEqual([]);
          // The blackhole held the writes to the partitions of its broker (they failed, or were acknowledged late).
          expect(slowest, `idempotent ${run.idempotent}: no write was held up by the blackhole`).toBeGreaterThan(5_000);
          // writeTimeout is librdkafka's message.timeout.ms: its timeout scan reports an expired write
          // within about a second; 5 s leaves room for a busy machine.
          expect(slowest, `idempotent ${run.idempotent}: a write outlived writeTimeout`).toBeLessThanOrEqual(WRITE_TIMEOUT_MS + 5_000);
        });
      });
      console.log(
        `leader blackholed ${BLACKHOLE_MS / 1000} s (broker ${victim}, partitions ${led.join(", ")} of 3; writeTimeout ${WRITE_TIMEOUT_MS / 1000} s, ` +
          `${RATE} writes/s per producer):\n  ${summaries.join("\n  ")}\n  timeline: ${timeline.join(", ")}`,
      );
      for (const check of checks) check();
    } finally {
      proxies.of(victim).restore();
      await Promise.all(runs.map((run) => run.kafka.close()));
    }
  }, 150_000);

  it("the group coordinator's connections reset every 3 s while a Consumer Server commits: nothing lost, duplicates within a session timeout plus a commit interval per rebalance", async () => {
    const topic = uniqueName("e2e-net-reset");
    const groupID = uniqueName("g-net-reset");
    await createTopic(topic, 3, 3);
    const coordinator = await coordinatorOf(groupID);
    const RATE = 200;
    const COUNT = 4_000; // 20 s
    const SESSION_TIMEOUT_MS = 6_000; // FAST_GROUP's sessionTimeout
    const COMMIT_INTERVAL_MS = 1_000; // commitInterval 0: the Consumer Server's offsets are committed every second
    const server = serverOn({ topic, groupID, brokerList: proxies.brokers, groupKeys: FAST_GROUP });
    servers.push(server);
    await until(
      () => server.owned().size === 3,
      60_000,
      () => `owned ${[...server.owned()].join(",")}`,
    );

    let producing = true;
    const resetter = (async () => {
      while (producing) {
        await sleep(3_000);
        if (producing) proxies.of(coordinator).reset();
      }
    })();
    const produced = await produceAtRate(topic, "m", COUNT, RATE).finally(() => {
      producing = false;
    });
    await resetter;
    const expected = Array.from({ length: produced }, (_, i) => `m${i}`);
    await until(
      () => {
        if (server.failure() !== undefined) throw server.failure();
        const seen = new Set(valuesOf(server));
        return expected.every((v) => seen.has(v));
      },
      60_000,
      () => `${new Set(valuesOf(server)).size} of ${produced} handled`,
    );
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    // Everything handled was committed: a new member of the group would start at the end.
    const committed = await readCommitted(groupID, topic, 3);
    const ends = await readAll(topic, 3).then((all) => {
      const top = [0, 0, 0];
      for (const m of all) top[m.partition] = Math.max(top[m.partition]!, m.offset + 1);
      return top;
    });

    const values = valuesOf(server);
    const duplicates = duplicatesOf(values);
    const rebalances = server.assignments() - 1;
    // A rebalance here means the member lost its coordinator: its background commits fail until it is back
    // in the group, so up to a session timeout (6 s, FAST_GROUP) plus one commit interval of messages are
    // handled again. Without a rebalance, a reset costs no re-read at all.
    const bound = rebalances * Math.ceil((RATE * (SESSION_TIMEOUT_MS + COMMIT_INTERVAL_MS)) / 1000);
    const resets = proxies.of(coordinator).resets;
    console.log(
      `coordinator reset (broker ${coordinator}, ${resets} connections reset in ${Math.floor(produced / RATE / 3)} rounds): produced ${produced}, handled ${values.length}, ` +
        `distinct ${new Set(values).size}, duplicates ${duplicates} (bound ${bound}: ${rebalances} rebalances × ${RATE} messages/s × (${SESSION_TIMEOUT_MS / 1000} s session timeout + ${COMMIT_INTERVAL_MS / 1000} s commit interval)); ` +
        `committed ${committed.join(",")} of ${ends.join(",")}`,
    );
    expect(resets).toBeGreaterThan(0);
    expect(new Set(values).size).toBe(produced);
    expect(duplicates).toBeLessThanOrEqual(bound);
    expect(committed).toEqual(ends);
  }, 150_000);

  it("300 ms added to each direction of every broker connection: a Consumer Server with the default timeouts keeps up with 50 messages/s (p99 write-to-handle delay under 5 s, caught up within 10 s of the last write), never rebalanced, no duplicate", async () => {
    const topic = uniqueName("e2e-net-latency");
    const groupID = uniqueName("g-net-latency");
    await createTopic(topic, 3, 3);
    const LATENCY_MS = 300;
    const RATE = 50;
    const COUNT = 1_500; // 30 s
    for (const proxy of proxies.all()) proxy.latencyMs = LATENCY_MS;
    const joinStarted = Date.now();
    // Default group timings (heartbeatInterval 3 s, sessionTimeout 30 s, rebalanceTimeout 30 s, maxWait 10 s).
    const server = serverOn({ topic, groupID, brokerList: proxies.brokers, groupKeys: "startOffset = -2" });
    servers.push(server);
    await until(
      () => server.owned().size === 3,
      90_000,
      () => `owned ${[...server.owned()].join(",")}`,
    );
    const joinMs = Date.now() - joinStarted;
    const produced = await produceAtRate(topic, "m", COUNT, RATE);
    const producedAt = Date.now();
    const expected = Array.from({ length: produced }, (_, i) => `m${i}`);
    await until(
      () => {
        if (server.failure() !== undefined) throw server.failure();
        const seen = new Set(valuesOf(server));
        return expected.every((v) => seen.has(v));
      },
      60_000,
      () => `${new Set(valuesOf(server)).size} of ${produced} handled`,
    );
    const drainMs = Date.now() - producedAt;
    const lags = server.handled.map((h) => h.at - h.message.time.getTime()).sort((a, b) => a - b);
    const percentile = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!;
    console.log(
      `latency ${LATENCY_MS} ms each way on every broker: joined in ${joinMs} ms; produced ${produced} at ${RATE}/s, handled ${server.handled.length} ` +
        `(duplicates ${duplicatesOf(valuesOf(server))}); write-to-handle delay p50 ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms, max ${lags.at(-1)} ms; ` +
        `caught up ${drainMs} ms after the last write; assignments ${server.assignments()}, revocations ${server.revocations()}`,
    );
    // A fetch and its answer cross the 600 ms round trip a few times (fetch, metadata, commit); seconds of
    // delay would mean the server fell behind the rate.
    expect(percentile(0.99)).toBeLessThan(5_000);
    expect(drainMs).toBeLessThan(10_000);
    expect(server.assignments()).toBe(1);
    expect(server.revocations()).toBe(0);
    expect(duplicatesOf(valuesOf(server))).toBe(0);
  }, 180_000);

  it("a member whose connections hang longer than sessionTimeout: its partitions move to the other member, it rejoins on its own when the network is back, and at most a commit interval of messages per handover (2 × 50) is handled twice", async () => {
    const topic = uniqueName("e2e-net-hang");
    const groupID = uniqueName("g-net-hang");
    await createTopic(topic, 4, 3);
    const HANG_MS = 15_000; // sessionTimeout is 6 s (FAST_GROUP)
    const RATE = 50;
    const COMMIT_INTERVAL_MS = 1_000; // commitInterval 0: the Consumer Server's offsets are committed every second
    // A reaches the brokers only through the proxies, B directly.
    const a = serverOn({ topic, groupID, brokerList: proxies.brokers, groupKeys: FAST_GROUP });
    servers.push(a);
    await until(
      () => a.owned().size === 4,
      60_000,
      () => `A owns ${[...a.owned()].join(",")}`,
    );
    const b = serverOn({ topic, groupID, brokerList: brokers, groupKeys: FAST_GROUP });
    servers.push(b);
    await until(
      () => a.owned().size > 0 && b.owned().size > 0 && a.owned().size + b.owned().size === 4,
      60_000,
      () => `A ${[...a.owned()]}, B ${[...b.owned()]}`,
    );

    const timeline: string[] = [];
    const began = Date.now();
    const mark = (what: string) => timeline.push(`${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
    mark(`A owns ${[...a.owned()].sort().join(",")}, B owns ${[...b.owned()].sort().join(",")}`);
    let producing = true;
    const production = produceAtRate(topic, "m", 1_000_000, RATE, () => !producing);
    try {
      // Both members under way before the cut.
      await until(
        () => a.handled.length >= 20 && b.handled.length >= 20,
        30_000,
        () => `A handled ${a.handled.length}, B ${b.handled.length}`,
      );
      for (const proxy of proxies.all()) proxy.blackhole();
      const cutAt = Date.now();
      mark("A's connections blackholed");
      await until(
        () => b.owned().size === 4,
        HANG_MS,
        () => `B owns ${[...b.owned()]}`,
      );
      const movedMs = Date.now() - cutAt;
      mark("B owns all 4 partitions");
      await sleep(Math.max(0, cutAt + HANG_MS - Date.now()));
      proxies.restoreAll();
      const restoredAt = Date.now();
      mark("network back");
      await until(
        () => a.owned().size > 0 && a.owned().size + b.owned().size === 4,
        90_000,
        () => `A ${[...a.owned()]}, B ${[...b.owned()]}`,
      );
      const rejoinMs = Date.now() - restoredAt;
      mark(`A owns ${[...a.owned()].sort().join(",")} again, B ${[...b.owned()].sort().join(",")}`);
      const handledByABefore = a.handled.length;
      await until(
        () => a.handled.length >= handledByABefore + 20,
        30_000,
        () => `A handled ${a.handled.length - handledByABefore} after rejoining`,
      );
      producing = false;
      const produced = await production;
      mark(`${produced} produced`);
      const expected = Array.from({ length: produced }, (_, i) => `m${i}`);
      const all = () => [...valuesOf(a), ...valuesOf(b)];
      await until(
        () => {
          for (const s of [a, b]) if (s.failure() !== undefined) throw s.failure();
          const seen = new Set(all());
          return expected.every((v) => seen.has(v));
        },
        60_000,
        () => `${new Set(all()).size} of ${produced} handled`,
      );
      console.log(
        `member cut off ${HANG_MS / 1000} s (sessionTimeout 6 s): partitions moved to B ${movedMs} ms after the cut, A rejoined ${rejoinMs} ms after the network came back; ` +
          `produced ${produced}, handled by A ${a.handled.length} (${a.handled.length - handledByABefore} after rejoining), by B ${b.handled.length}, ` +
          `distinct ${new Set(all()).size}, duplicates ${duplicatesOf(all())}; assignments A ${a.assignments()} / B ${b.assignments()}, ` +
          `revocations A ${a.revocations()} / B ${b.revocations()}; timeline: ${timeline.join(", ")}`,
      );
      expect(new Set(all()).size).toBe(produced);
      // Two handovers (A's partitions to B, then some back to A): each may hand over what the member that
      // lost them handled since its last commit, at most a commit interval at the production rate.
      expect(duplicatesOf(all())).toBeLessThanOrEqual((2 * RATE * COMMIT_INTERVAL_MS) / 1000);
    } finally {
      producing = false;
      proxies.restoreAll();
      await production.catch(() => undefined);
    }
  }, 180_000);
});
