// Reliability: a broker stopped and started again in the middle of a 100,000-message run (local cluster
// only). An idempotent producer with requiredAcks = -1 writes 1,000 keys × 100 sequence numbers to a
// 6-partition, replication-factor-3 topic while a group of two Consumer Servers (in this process, each
// with its own consumerGroups entry) consumes; a broker leading some of the topic's partitions — the
// group's coordinator when it leads any — is stopped midway (kafka/cluster.sh stop-broker: SIGTERM, a
// controlled shutdown) and brought back, while writes and reads go on. Asserted:
// - every message whose write was acknowledged is handled at least once;
// - per key, the sequence numbers, taken the first time each is seen, increase (order is kept);
// - per partition, consumption never skips ahead (an offset is at most one past the highest handled),
//   and a re-delivery never goes back beyond a committed offset already seen: once the group was seen
//   (sampled every 250 ms) to have committed offset c of a partition, no later handled offset of that
//   partition is below c;
// - duplicates stay within a session timeout plus a commit interval of messages per revocation.
// A second test shows that client().offsetFetch crashes its process during such a failover (a bug).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Config } from "ekafka/core";
import { KafkaError, load, withLogger, type Component, type Message } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { FAST_GROUP, ledTopic } from "./support/component.js";
import { brokers, cluster, localCluster, uniqueName } from "./support/env.js";
import { brokerStartedAfterEach, ensureBrokerUp } from "./support/brokers.js";
import { compileFixtures, removeCompiled, startChild } from "./support/child.js";
import { committedProbe, coordinatorOf } from "./support/group.js";
import { collectingLogger, parsed } from "./support/logs.js";
import { createTopic } from "./support/raw.js";
import { sleep, until } from "./support/wait.js";

const KEYS = 1_000;
const SEQUENCES = 100; // per key: KEYS × SEQUENCES messages
const PARTITIONS = 6;
/**
 * Messages per second the producer aims at: fast before the outage, slower while the broker is stopping,
 * down and starting again (a controlled shutdown plus a restart take half a minute here), so that writes
 * and reads go on through every phase of it, and fast again once the broker is back.
 */
const RATE = { normal: 5_000, outage: 1_500 };
/** The broker is stopped once this many writes were acknowledged. */
const STOP_AT = 25_000;
/** How long the broker stays down. */
const DOWN_MS = 3_000;
/** FAST_GROUP's sessionTimeout, and the Consumer Server's commit interval (commitInterval unset: every second). */
const SESSION_TIMEOUT_MS = 6_000;
const COMMIT_INTERVAL_MS = 1_000;

interface Handled {
  server: string;
  key: number;
  seq: number;
  partition: number;
  offset: number;
}

/** The committed offsets the group was seen with, and how many messages had been handled by then. */
interface CommitSample {
  handledBefore: number;
  committed: Map<number, number>;
}

const OFFSET_FETCH_CHILD = "test/e2e/fixtures/reliability/offset-fetch-child.ts";
let outDir: string | undefined;

describe.runIf(localCluster)("a broker stopped and started again during a 100,000-message run", () => {
  beforeAll(async () => {
    outDir = await compileFixtures(OFFSET_FETCH_CHILD);
  }, 120_000);
  afterAll(() => removeCompiled(outDir));
  // A broker a test stopped is started again here, whatever the test did (a hook's failure is reported
  // even for the it.fails test below, whose own errors all count as the expected failure).
  const stoppedBroker = brokerStartedAfterEach();

  it("loses no acknowledged message, keeps each key in order, and handles twice at most a session timeout plus a commit interval of messages (at 5,000/s) per revocation", async () => {
    const total = KEYS * SEQUENCES;
    const topic = uniqueName("e2e-rel-broker");
    const groupID = uniqueName("g-rel-broker");
    await createTopic(topic, PARTITIONS, 3);

    const logLines: string[] = [];
    const logger = collectingLogger(logLines, "warn");
    // The servers' own lines, from info up: their "partitions revoked" lines count the handovers.
    const serverLines: string[] = [];
    const serverLogger = collectingLogger(serverLines, "info");
    const cfg = new Config().loadString(`
[kafka]
brokers = ${JSON.stringify(brokers)}
[kafka.client]
timeout = "5s"
[kafka.producers.p1]
topic = "${topic}"
balancer = "hash"
requiredAcks = -1
idempotent = true
batchTimeout = "5ms"
batchSize = 1000
writeTimeout = "60s"
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
${FAST_GROUP}
[kafka.consumerGroups.cg2]
topic = "${topic}"
groupID = "${groupID}"
${FAST_GROUP}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
[kafkaConsumerServers.s2]
consumerGroupName = "cg2"
`);
    const kafka: Component = load("kafka", cfg).build(withLogger(logger));
    const handled: Handled[] = [];
    const servers = ["s1", "s2"].map((name) => {
      const server = consumerserver
        .load(`kafkaConsumerServers.${name}`, cfg)
        .build(consumerserver.withEkafka(kafka), consumerserver.withLogger(serverLogger));
      server.onEachMessage(async (_ctx, message: Message) => {
        handled.push({
          server: name,
          key: Number(message.keyString().slice(1)),
          seq: Number(message.valueString()),
          partition: message.partition,
          offset: message.offset,
        });
      });
      return server;
    });
    let serverFailure: unknown;
    const running = servers.map((server) =>
      server.start().catch((error: unknown) => {
        serverFailure ??= error;
      }),
    );

    const timeline: string[] = [];
    const began = Date.now();
    const mark = (what: string) => timeline.push(`${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
    const acknowledged = new Set<string>(); // "key/seq"
    let produced = 0;
    let failedWrites = 0;
    const samples: CommitSample[] = [];
    // The group's committed offsets, sampled every 250 ms through a consumer of the group that never
    // subscribes (so never joins). Not through kafka.client().offsetFetch(): librdkafka's admin
    // ListConsumerGroupOffsets crashes the process when the coordinator moves (see the test below).
    const probe = await committedProbe(groupID);
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const committed = await probe.committed(topic, PARTITIONS);
          samples.push({ handledBefore: handled.length, committed });
        } catch {
          // the coordinator may be the stopped broker: the next sample will do
        }
        await sleep(250);
      }
    })();

    const info = await ledTopic(kafka, topic, PARTITIONS);
    // The broker to stop: the group's coordinator when it leads partitions of the topic (so both the
    // partition leadership and the group coordination fail over), else the leader of partition 0.
    const coordinator = await coordinatorOf(groupID);
    const leaderships = (broker: number) => info.partitions.filter((p) => p.leader === broker).map((p) => p.partition);
    const victim = leaderships(coordinator).length > 0 ? coordinator : info.partitions.find((p) => p.partition === 0)!.leader!;
    const led = leaderships(victim);
    const role = `leader of partitions ${led.join(", ")}${victim === coordinator ? " and the group's coordinator" : ""}`;
    type Phase = "before" | "stopping" | "down" | "starting" | "after";
    let phase = "before" as Phase;
    const acknowledgedIn: Record<Phase, number> = { before: 0, stopping: 0, down: 0, starting: 0, after: 0 };
    let outage: Promise<void> | undefined;
    try {
      let clock = Date.now(); // when the current message is due, at the current rate
      for (let seq = 0; seq < SEQUENCES; seq++) {
        if (outage === undefined && acknowledged.size >= STOP_AT) {
          phase = "stopping";
          stoppedBroker.stopping(victim);
          mark(`stopping broker ${victim} (${role})`);
          outage = (async () => {
            await cluster("stop-broker", String(victim));
            phase = "down";
            mark(`broker ${victim} stopped`);
            await sleep(DOWN_MS);
            phase = "starting";
            mark(`starting broker ${victim}`);
            await ensureBrokerUp(victim);
            phase = "after";
            mark(`broker ${victim} back`);
          })();
        }
        const messages = Array.from({ length: KEYS }, (_, key) => ({ key: `k${key}`, value: String(seq) }));
        produced += messages.length;
        const before = acknowledged.size;
        try {
          await kafka.producer("p1").writeMessages(...messages);
          for (let key = 0; key < KEYS; key++) acknowledged.add(`${key}/${seq}`);
        } catch (error) {
          // Only what the error lists as failed was not delivered; the others were acknowledged.
          failedWrites++;
          const failed = error instanceof KafkaError ? ((error as KafkaError & { failed?: Message[] }).failed ?? []) : [];
          if (error instanceof KafkaError && failed.length > 0) {
            const failedKeys = new Set(failed.map((m) => m.keyString()));
            for (let key = 0; key < KEYS; key++) if (!failedKeys.has(`k${key}`)) acknowledged.add(`${key}/${seq}`);
          }
        }
        acknowledgedIn[phase] += acknowledged.size - before;
        clock =
          Math.max(clock, Date.now() - 1_000) +
          (messages.length / (phase === "before" || phase === "after" ? RATE.normal : RATE.outage)) * 1000;
        if (clock > Date.now()) await sleep(clock - Date.now());
      }
      mark(`${produced} produced, ${acknowledged.size} acknowledged`);
      await outage;

      const seen = new Set<string>();
      let counted = 0;
      await until(
        () => {
          if (serverFailure !== undefined) throw serverFailure;
          for (; counted < handled.length; counted++) seen.add(`${handled[counted]!.key}/${handled[counted]!.seq}`);
          return [...acknowledged].every((id) => seen.has(id));
        },
        60_000,
        () => `${[...acknowledged].filter((id) => seen.has(id)).length} of ${acknowledged.size} acknowledged messages handled`,
        200,
      );
      mark("all acknowledged messages handled");
    } finally {
      sampling = false;
      await sampler;
      await probe.close();
      if (outage !== undefined) await outage.catch(() => undefined);
      if (outage !== undefined && phase !== "after") {
        // Whatever happened above, the broker must be back for the tests that follow (a running one is kept).
        await ensureBrokerUp(victim).catch(() => undefined); // afterEach tries again, and reports
      }
      await Promise.all(servers.map((server) => server.gracefulStop()));
      await Promise.all(running);
      await kafka.close();
    }
    expect(serverFailure).toBeUndefined();

    // Every acknowledged message handled at least once.
    const distinct = new Set(handled.map((h) => `${h.key}/${h.seq}`));
    const missing = [...acknowledged].filter((id) => !distinct.has(id));
    // Per key: the first sightings of its sequence numbers increase.
    const orderViolations: string[] = [];
    const lastFirstSeen = new Map<number, number>();
    const firstSeen = new Set<string>();
    for (const h of handled) {
      const id = `${h.key}/${h.seq}`;
      if (firstSeen.has(id)) continue;
      firstSeen.add(id);
      const before = lastFirstSeen.get(h.key) ?? -1;
      if (h.seq <= before) orderViolations.push(`key k${h.key}: sequence ${h.seq} first seen after ${before}`);
      lastFirstSeen.set(h.key, h.seq);
    }
    // Per partition: never ahead of the highest handled offset + 1, never behind a committed offset seen earlier.
    const skips: string[] = [];
    const highest = new Map<number, number>();
    const byPartition = new Map<number, Array<{ index: number; offset: number }>>();
    handled.forEach((h, index) => {
      const top = highest.get(h.partition) ?? -1;
      if (h.offset > top + 1) skips.push(`partition ${h.partition}: offset ${h.offset} handled when the highest handled was ${top}`);
      highest.set(h.partition, Math.max(top, h.offset));
      const list = byPartition.get(h.partition) ?? [];
      list.push({ index, offset: h.offset });
      byPartition.set(h.partition, list);
    });
    const rewinds: string[] = [];
    for (const sample of samples) {
      for (const [partition, committed] of sample.committed) {
        if (committed < 0) continue;
        const below = (byPartition.get(partition) ?? []).find((r) => r.index >= sample.handledBefore && r.offset < committed);
        if (below !== undefined) {
          rewinds.push(`partition ${partition}: offset ${below.offset} handled after offset ${committed} was seen committed`);
        }
      }
    }
    const perServer = ["s1", "s2"].map((s) => `${s} ${handled.filter((h) => h.server === s).length}`).join(", ");
    const warnings = logLines.length + parsed(serverLines).filter((line) => Number(line.level) >= 40).length;
    const duplicates = handled.length - distinct.size;
    const revocations = serverLines.filter((line) => line.includes('"msg":"partitions revoked"')).length;
    // A member handing partitions over may have handled, since its last commit, up to a session timeout
    // (its commits fail while the coordinator is away) plus a commit interval of messages at the full rate.
    const duplicateBound = revocations * Math.ceil((RATE.normal * (SESSION_TIMEOUT_MS + COMMIT_INTERVAL_MS)) / 1000);
    console.log(
      `broker failure (broker ${victim} stopped, ${role}): produced ${produced}, acknowledged ${acknowledged.size} ` +
        `(${failedWrites} writes failed; acknowledged before the stop ${acknowledgedIn.before}, while stopping ${acknowledgedIn.stopping}, ` +
        `while down ${acknowledgedIn.down}, while starting ${acknowledgedIn.starting}, after ${acknowledgedIn.after}), consumed ${handled.length} (${perServer}), distinct ${distinct.size}, duplicates ${duplicates} ` +
        `(bound ${duplicateBound}: ${revocations} revocations × ${RATE.normal} messages/s × ${(SESSION_TIMEOUT_MS + COMMIT_INTERVAL_MS) / 1000} s); ` +
        `${samples.length} committed-offset samples; ${warnings} warnings logged; timeline: ${timeline.join(", ")}`,
    );
    expect(produced).toBe(total);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(orderViolations.slice(0, 10)).toEqual([]);
    expect(skips.slice(0, 10)).toEqual([]);
    expect(rewinds.slice(0, 10)).toEqual([]);
    expect(samples.length).toBeGreaterThan(0);
    expect(duplicates).toBeLessThanOrEqual(duplicateBound);
  }, 180_000);

  // Client.offsetFetch asks through a consumer of the group (not the admin API's ListConsumerGroupOffsets,
  // which crashes the process with SIGSEGV when the coordinator moves: librdkafka #5040). The calls run in
  // a child process, so a crash would take down only that child.
  it("client().offsetFetch survives a failover of the group's coordinator", async () => {
    const topic = uniqueName("e2e-rel-offsetfetch");
    const groupID = uniqueName("g-rel-offsetfetch");
    await createTopic(topic, 3, 3);
    const coordinator = await coordinatorOf(groupID);
    const child = startChild(
      outDir!,
      OFFSET_FETCH_CHILD,
      { BROKERS: brokers.join(","), GROUP: groupID, TOPIC: topic, CONCURRENCY: "8" },
      90_000,
    );
    try {
      await until(
        () => child.output().includes("running"),
        30_000,
        () => child.output().slice(-2000),
      );
      stoppedBroker.stopping(coordinator);
      await cluster("stop-broker", String(coordinator));
      await sleep(2_000);
      child.kill("SIGTERM");
      const exit = await child.exited;
      console.log(
        `offsetFetch while broker ${coordinator} (the group's coordinator) stopped: the calling process exited with ${exit}; ${child.output().trim().split("\n").pop()}`,
      );
      expect(exit).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 120_000);
});
