// Exactly-once through a failover of the transaction coordinator (local cluster only): a Consumer Server
// with transactionalProducer copies 3,000 inputs to an output topic (both replication factor 3, the
// cluster's min.insync.replicas = 2), written in three parts. Once some copies of the first part are
// committed, the broker leading the __transaction_state partition of the server's transactionalID — its
// transaction coordinator — is stopped (kafka/cluster.sh stop-broker: a controlled shutdown); the second
// part is written once it is down, and it stays down until copies of that part are committed through the
// coordinator that took over; the third part is written while it starts again. A read_committed reader
// of the output then sees each input exactly once.
//
// The group and the transactionalID are chosen so that one broker coordinates both (when the cluster's
// leaders allow it; the test says which case it ran): that is where librdkafka's
// sendOffsetsToTransaction used to wait forever for the group coordinator that left (librdkafka #5456,
// #5511). A transactional producer now closes connections idle for 5 s (connections.max.idle.ms), whose
// state change makes librdkafka look the coordinator up again; and a transactional call left unanswered
// past transactionTimeout + 10 s fails the server instead of holding it (src/transaction.ts).
import { describe, expect, it } from "vitest";
import { load, type Component } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { brokerStartedAfterEach, ensureBrokerUp } from "./support/brokers.js";
import { componentsClosedAfterEach, e2eConfig } from "./support/component.js";
import { cluster, localCluster, uniqueName } from "./support/env.js";
import { committedProbe, coordinatorPartition, createdInternalLeaders, internalPartitionOf } from "./support/group.js";
import { createTopic, fillTopic } from "./support/raw.js";
import { countValues, exactlyOnceReport, readWhole } from "./support/transactions.js";
import { eventually, until } from "./support/wait.js";

/** The inputs, written in three parts: before the stop, once the broker is down, as it starts again. */
const PART = 1000;
const TOTAL = 3 * PART;
/** The coordinator's broker is stopped once this many copies of the first part are committed. */
const STOP_AFTER = 300;
/** It stays down until this many copies of the second part (written while it is down) are committed. */
const WHILE_DOWN = 300;
const PARTITIONS = 3;
/**
 * The group's timing: the suite's fast heartbeats, with librdkafka's default session timeout (45 s)
 * rather than the suite's 6 s. When the stopped broker also coordinates the group, the member finds the
 * new group coordinator only after its own coordinator lookup; a 6 s session can expire meanwhile, and
 * the new coordinator then refuses the member's offsets ("Unknown member"): another fault (a member
 * expired mid-transaction, which stops the server; consumerserver-exactly-once-process.test.ts), not this one.
 */
const GROUP_THROUGH_FAILOVER = `
heartbeatInterval = "500ms"
sessionTimeout = "45s"
rebalanceTimeout = "10s"
maxWait = "100ms"
`;

const components = componentsClosedAfterEach();

describe.runIf(localCluster)("Consumer Server, transactionalProducer, the transaction coordinator's broker stopped", () => {
  const stoppedBroker = brokerStartedAfterEach(); // for the files that follow, whatever the test did

  it(`stopped once ${STOP_AFTER} copies are committed, kept down until ${WHILE_DOWN} copies of inputs written after the stop are, restarted: each of ${TOTAL} inputs exactly once`, async () => {
    const input = uniqueName("e2e-eos-coord-in");
    const output = uniqueName("e2e-eos-coord-out");
    const { groupID, transactionalID } = await namesCoordinatedTogether();
    await createTopic(input, PARTITIONS, 3);
    await createTopic(output, PARTITIONS, 3);
    const values = Array.from({ length: TOTAL }, (_, i) => `v${i}`);
    const part = (n: number) => values.slice(n * PART, (n + 1) * PART);
    await fillTopic(input, part(0));

    const cfg = e2eConfig(`
[kafka.producers.tx]
topic = "${output}"
transactionalID = "${transactionalID}"
[kafka.consumerGroups.cg1]
topic = "${input}"
groupID = "${groupID}"
startOffset = -2
${GROUP_THROUGH_FAILOVER}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
transactionalProducer = "tx"
`);
    const kafka: Component = components.track(load("kafka", cfg).build());
    const server = consumerserver.load("kafkaConsumerServers.s1", cfg).build(consumerserver.withEkafka(kafka));
    let calls = 0;
    server.onEachMessage(async (ctx, message) => {
      await ctx.producer!.writeMessages({ value: `out-${message.valueString()}` });
      calls++;
    });
    let serverFailure: unknown;
    const run = server.start().catch((error: unknown) => {
      serverFailure ??= error;
    });

    const began = Date.now();
    const timeline: string[] = [];
    const mark = (what: string) => {
      timeline.push(`${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
      console.log(timeline.at(-1)); // as it happens: a run that times out still shows how far it got
    };
    // The copies committed: the group's committed offsets, which only a committed transaction moves.
    // Read by a consumer that never joins the group (the last committed offsets, whether or not a
    // transaction is open); while the group's coordinator moves (it may be the stopped broker too) a read
    // fails and the last value read stands.
    const probe = await committedProbe(groupID, 3_000, "read_uncommitted");
    let committed = 0;
    const readCommitted = async () => {
      const offsets = await probe.committed(input, PARTITIONS).catch(() => undefined);
      if (offsets !== undefined) committed = [...offsets.values()].reduce((sum, offset) => sum + Math.max(0, offset), 0);
      return committed;
    };
    const committedAtLeast = (count: number, timeoutMs: number) =>
      until(
        async () => {
          if (serverFailure !== undefined) throw serverFailure;
          return (await readCommitted()) >= count;
        },
        timeoutMs,
        () => `${count} copies committed (${committed} so far, ${calls} handler calls; ${timeline.join(", ")})`,
        100,
      );

    let before: { partition: number; leader: number | null } | undefined;
    let whileDown: { partition: number; leader: number | null } | undefined;
    let committedWhileDown = 0;
    try {
      // The coordinator, known once the first transaction committed (__transaction_state exists by then);
      // stopped as soon as STOP_AFTER copies are, while the server goes on copying the first part.
      await committedAtLeast(1, 60_000);
      before = await coordinatorPartition("__transaction_state", transactionalID);
      const victim = before.leader!;
      const groupCoordinator = (await coordinatorPartition("__consumer_offsets", groupID)).leader;
      const alsoGroupCoordinator = groupCoordinator === victim;
      await committedAtLeast(STOP_AFTER, 60_000);
      mark(
        `${committed} committed; stopping broker ${victim} (leader of __transaction_state partition ${before.partition}` +
          `${alsoGroupCoordinator ? ", and the group's coordinator" : `; the group's coordinator is ${groupCoordinator}`})`,
      );
      stoppedBroker.stopping(victim);
      await cluster("stop-broker", String(victim));
      const atStop = await readCommitted();
      mark(`broker ${victim} stopped, ${atStop} committed; writing the second part`);
      await fillTopic(input, part(1));
      await committedAtLeast(PART + WHILE_DOWN, 60_000);
      // Where the coordinator's partition went: the leader the other brokers elected while this one was
      // down (a metadata call failing while the client finds a broker that is up counts as "not yet").
      const partition = before.partition;
      whileDown = await eventually(
        async () => {
          const now = await coordinatorPartition("__transaction_state", transactionalID);
          return now.leader !== null && now.leader !== victim ? now : undefined;
        },
        30_000,
        `a leader other than broker ${victim} for __transaction_state partition ${partition}`,
      );
      mark(`broker ${whileDown.leader} leads __transaction_state partition ${partition}`);
      committedWhileDown = (await readCommitted()) - atStop;
      mark(`${committedWhileDown} more committed while it was down; starting broker ${victim}, writing the third part`);
      const restarting = ensureBrokerUp(victim);
      restarting.catch(() => undefined); // awaited below, after the writes
      await fillTopic(input, part(2));
      await restarting;
      stoppedBroker.started();
      mark(`broker ${victim} back, ${await readCommitted()} committed`);
      await committedAtLeast(TOTAL, 90_000);
      mark(`${committed} committed`);
    } finally {
      console.log(`timeline: ${timeline.join(", ")}`);
      await probe.close();
      await server.gracefulStop();
      await run;
    }
    expect(serverFailure).toBeUndefined();

    const counts = countValues(await readWhole(output, PARTITIONS, "read_committed"));
    const report = exactlyOnceReport(
      values.map((v) => `out-${v}`),
      counts,
    );
    console.log(
      `exactly-once, transaction coordinator failover (transactionalID ${transactionalID}, __transaction_state partition ${before.partition}: ` +
        `leader ${before.leader} stopped, ${whileDown?.leader} while it was down; ${committedWhileDown} copies committed while it was down): ${calls} handler calls for ${TOTAL} inputs; ` +
        `read_committed: ${[...counts.values()].reduce((a, b) => a + b, 0)} records, ${report.missing.length} missing, ` +
        `${report.duplicated.length} duplicated, ${report.unexpected.length} unexpected`,
    );
    // The stopped broker was the coordinator, and another took over while it was down.
    expect(whileDown?.partition).toBe(before.partition);
    expect(whileDown?.leader).not.toBe(before.leader);
    expect(committed).toBe(TOTAL);
    expect(report).toEqual({ missing: [], duplicated: [], unexpected: [] });
  }, 150_000);
});

/**
 * A group id and a transactionalID that one broker coordinates together (it leads both the
 * __consumer_offsets partition of the one and the __transaction_state partition of the other), when the
 * cluster's leaders allow it; otherwise any two (the test's output says which case ran).
 */
async function namesCoordinatedTogether(): Promise<{ groupID: string; transactionalID: string }> {
  const transactionLeaders = await createdInternalLeaders("__transaction_state");
  const groupLeaders = await createdInternalLeaders("__consumer_offsets");
  const leaderOf = (leaders: Array<number | null>, key: string) =>
    leaders.length === 0 ? null : leaders[internalPartitionOf(key, leaders.length)];
  for (let attempt = 0; attempt < 1000; attempt++) {
    const names = { groupID: uniqueName("g-eos-coord"), transactionalID: uniqueName("txid-coord") };
    const broker = leaderOf(groupLeaders, names.groupID);
    if (broker !== null && broker === leaderOf(transactionLeaders, names.transactionalID)) return names;
  }
  return { groupID: uniqueName("g-eos-coord"), transactionalID: uniqueName("txid-coord") };
}
