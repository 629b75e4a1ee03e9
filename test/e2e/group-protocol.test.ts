// The group keys on the real cluster (Kafka 4.1): a member with groupProtocol = "consumer" (KIP-848) joins,
// and the broker reports a consumer-protocol group with the remote assignor asked for; a classic member
// with the cooperative-sticky assignor joins a classic group using it. Each member gets a static
// groupInstanceID from the environment ("${ENV}"), which the broker reports back.
//
// Then Consumer Servers under the incremental protocols: while a second server joins and leaves, the
// first goes on handling the partitions it keeps (a revocation waits only for the handlers of the
// partitions that move); and static membership: a server restarted within its session timeout gets
// its partitions back and the other member is not rebalanced.
import kafkaNative from "@confluentinc/kafka-javascript";
import { afterEach, describe, expect, it } from "vitest";
import { PollTimeoutError, type Component, type Message } from "ekafka";
import type { MessageContext } from "ekafka/consumerserver";
import { componentsClosedAfterEach, e2eConfig, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { describeGroup } from "./support/group.js";
import { createTopic } from "./support/raw.js";
import { scenarioToml, serverScenario } from "./support/scenario.js";
import { warningsIn } from "./support/logs.js";
import { startServer, type RunningServer } from "./support/server.js";
import { eventually, sleep, until } from "./support/wait.js";
import { measureTimerLateness, type TimerLateness } from "./support/timer-lateness.js";

const { build } = componentsClosedAfterEach();

afterEach(() => {
  delete process.env["EKAFKA_E2E_INSTANCE"];
});

/** Group `cg1` reading `topic` as `groupID`, static member `${EKAFKA_E2E_INSTANCE}`, with `groupKeys`. */
function staticMemberToml(topic: string, groupID: string, groupKeys: string): string {
  return scenarioToml({
    topic,
    groupID,
    producer: false,
    groupKeys: `groupInstanceID = "\${EKAFKA_E2E_INSTANCE}"\nmaxWait = "100ms"\n${groupKeys}`,
  });
}

/**
 * Polls the group member cg1 until the broker describes `groupID` with a member (it has joined);
 * returns that description and the errors the polls reported.
 */
async function joined(kafka: Component, topic: string, groupID: string) {
  await createTopic(topic, 3, 3);
  const group = kafka.consumerGroup("cg1");
  const errors: string[] = [];
  const description = await eventually(
    async () => {
      const event = await group.poll({ timeoutMs: 500 }).catch((error: unknown) => error);
      if (event instanceof Error && !(event instanceof PollTimeoutError)) errors.push(event.message);
      const found = await describeGroup(groupID);
      return found.members.length > 0 ? found : undefined;
    },
    60_000,
    `a member of ${groupID}`,
    0,
  );
  return { description, errors };
}

describe("group keys", () => {
  it('groupProtocol = "consumer": the member joins, and the broker reports a consumer-protocol group with its instance id', async () => {
    const topic = uniqueName("e2e-kip848");
    const groupID = `${topic}-g`;
    process.env["EKAFKA_E2E_INSTANCE"] = `${topic}-member-1`;
    const kafka = build(staticMemberToml(topic, groupID, 'groupProtocol = "consumer"\ngroupRemoteAssignor = "uniform"'));
    expect(kafka.consumerPropertiesOf("consumerGroups", "cg1")).not.toHaveProperty(["session.timeout.ms"]);

    const { description, errors } = await joined(kafka, topic, groupID);
    console.log(
      `group-protocol: consumer group type ${description.type}, assignor ${description.partitionAssignor}, ` +
        `members ${description.members.map((m) => m.groupInstanceId).join(", ")}; poll errors: ${errors.join("; ") || "none"}`,
    );
    expect(description.type).toBe(kafkaNative.ConsumerGroupTypes.CONSUMER);
    expect(description.partitionAssignor).toBe("uniform");
    expect(description.members.map((member) => member.groupInstanceId)).toEqual([`${topic}-member-1`]);
    expect(errors).toEqual([]);
  }, 90_000);

  it('groupProtocol = "classic" with assignmentStrategy = "cooperative-sticky": a classic group using that assignor', async () => {
    const topic = uniqueName("e2e-coop");
    const groupID = `${topic}-g`;
    process.env["EKAFKA_E2E_INSTANCE"] = `${topic}-member-1`;
    const kafka = build(
      staticMemberToml(topic, groupID, 'assignmentStrategy = "cooperative-sticky"\nheartbeatInterval = "500ms"\nsessionTimeout = "6s"'),
    );

    const { description, errors } = await joined(kafka, topic, groupID);
    console.log(`group-protocol: classic cooperative-sticky group; poll errors: ${errors.join("; ") || "none"}`);
    expect(description.type).toBe(kafkaNative.ConsumerGroupTypes.CLASSIC);
    expect(description.partitionAssignor).toBe("cooperative-sticky");
    expect(description.members.map((member) => member.groupInstanceId)).toEqual([`${topic}-member-1`]);
    expect(errors).toEqual([]);
  }, 90_000);
});

const PARTITIONS = [0, 1, 2, 3, 4, 5];
/**
 * The bound on the first server's own longest gap in handling a partition it keeps (see
 * longestServerGap), while a 3 s handler call is in flight on a partition that moves (#24). librdkafka
 * pauses every partition of the member while the application holds a revocation; the standby consumer
 * (src/standby-fetch.ts) fetches the kept ones meanwhile.
 */
const KEPT_GAP_BOUND_MS = 500;
const SLOW_MS = 3_000;

/** One handler call of key "slow" (3 s), by member and partition. */
interface SlowCall {
  member: string;
  partition: number;
  start: number;
  end: number;
}

/**
 * A member's revocations, from its "partitions revoked" lines: when each began waiting for its handlers in
 * flight, and when the partitions were released (after the commit).
 */
function revocations(server: RunningServer): Array<{ from: number; to: number; partitions: number[] }> {
  return server.logLines
    .map(
      (line) =>
        JSON.parse(line) as { msg?: string; time: number; waitedMs: number; releasedMs: number; partitions?: Array<{ partition: number }> },
    )
    .filter((entry) => entry.msg === "partitions revoked")
    .map((entry) => ({
      from: entry.time - entry.waitedMs - entry.releasedMs,
      to: entry.time,
      partitions: (entry.partitions ?? []).map((p) => p.partition),
    }));
}

/** The longest gap on `partition` within [from, to], and when it began. */
function longestGapAt(server: RunningServer, partition: number, from: number, to: number): { ms: number; at: number } {
  const times = server.handled.filter((h) => h.message.partition === partition && h.at >= from && h.at <= to).map((h) => h.at);
  const points = [from, ...times.sort((a, b) => a - b), to];
  let longest = { ms: 0, at: from };
  for (let i = 1; i < points.length; i++)
    if (points[i]! - points[i - 1]! > longest.ms) longest = { ms: points[i]! - points[i - 1]!, at: points[i - 1]! };
  return longest;
}

/**
 * The server's own longest gap on `partition`: the longest time between consecutive handlings of the
 * messages acknowledged within [from, to] (from `from` for the first), each gap counted only from when
 * the message ending it was acknowledged — the handling gap net of the writer's own stalls (a write that
 * waits for the brokers is no pause of the server). Messages of key "slow" (3 s by design) are left out.
 */
function longestServerGap(
  server: RunningServer,
  partition: number,
  ackedAt: ReadonlyMap<string, number>,
  from: number,
  to: number,
): number {
  const handlings = server.handled
    .map((h) => ({ at: h.at, acked: ackedAt.get(h.message.valueString()) ?? -1, slow: h.message.keyString() === "slow" }))
    .filter((h, i) => !h.slow && h.acked >= from && h.acked <= to && server.handled[i]!.message.partition === partition)
    .sort((x, y) => x.at - y.at);
  let longest = 0;
  let previous = from;
  for (const h of handlings) {
    longest = Math.max(longest, Math.min(h.at - previous, h.at - h.acked));
    previous = h.at;
  }
  return longest;
}

/**
 * Writes one message to each partition every 50 ms (keys k0..k4) until stopped, and a message of key
 * "slow" to each partition at first (unless `slow` is false) and then to a partition whenever
 * `slowAgain` asks (at the next round); returns the values written.
 */
function steadyWriter(kafka: Component, options: { slow: boolean } = { slow: true }) {
  const values: string[] = [];
  /** When each value's write was acknowledged. */
  const ackedAt = new Map<string, number>();
  const slowAsked = new Set<number>(options.slow ? PARTITIONS : []);
  let running = true;
  const done = (async () => {
    for (let round = 0; running; round++) {
      const batch = PARTITIONS.map((partition) => ({ partition, key: `k${round % 5}`, value: `${partition}-${round}` }));
      for (const partition of slowAsked) batch.push({ partition, key: "slow", value: `${partition}-${round}-slow` });
      slowAsked.clear();
      await kafka.producer("p1").writeMessages(...batch);
      const acked = Date.now();
      for (const m of batch) ackedAt.set(m.value, acked);
      values.push(...batch.map((m) => m.value));
      await sleep(50);
    }
  })();
  return {
    values,
    ackedAt,
    /** Writes another "slow" message to `partition`. */
    slowAgain: (partition: number) => slowAsked.add(partition),
    async stop() {
      running = false;
      await done;
    },
  };
}

describe("Consumer Servers under incremental rebalancing", () => {
  it.each([
    {
      keys: 'groupProtocol = "consumer"',
      groupKeys: 'groupProtocol = "consumer"\nmaxWait = "100ms"',
      type: kafkaNative.ConsumerGroupTypes.CONSUMER,
    },
    {
      keys: 'assignmentStrategy = "cooperative-sticky"',
      groupKeys: `${FAST_GROUP}\nassignmentStrategy = "cooperative-sticky"`,
      type: kafkaNative.ConsumerGroupTypes.CLASSIC,
    },
  ])(
    `$keys: while a second server joins and leaves, the first's longest gap in handling the partitions it keeps (net of the writer's ` +
      `own stalls) is under ${KEPT_GAP_BOUND_MS} ms (plus this process's longest timer lateness) ` +
      `while its revocation waits for a ${SLOW_MS / 1000} s handler call in flight on a moving partition; nothing lost, nothing handled twice`,
    async ({ keys, groupKeys, type }) => {
      // Which partitions move is the group's choice, so every partition has a 3 s call of key "slow" in
      // flight all the time (each asks for the next); with ordering = "key" the other keys of a partition go on meanwhile, so
      // a gap on a kept partition can only come from the rebalance.
      const scenario = serverScenario({ name: "handover", partitions: 6, groupKeys, serverKeys: 'ordering = "key"\nconcurrency = 64' });
      await scenario.create();
      const cfg = e2eConfig(scenario.toml);
      const slow: SlowCall[] = [];
      const writer = steadyWriter(build(scenario.toml));
      const handler = (member: string) => async (_ctx: MessageContext, message: Message) => {
        if (message.keyString() !== "slow") return;
        const start = Date.now();
        await sleep(SLOW_MS);
        // The next one, once this one is done: none waits behind it (work not started when its partition
        // is revoked is read again by the next owner, and so is what was done after it).
        writer.slowAgain(message.partition);
        slow.push({ member, partition: message.partition, start, end: Date.now() });
      };
      const a = startServer(cfg, handler("a"));
      let lateness: TimerLateness | undefined;
      let b: RunningServer | undefined;
      const timeline: Record<string, number> = {};
      let revoked: ReturnType<typeof revocations> = [];
      try {
        await until(
          () => a.owned().size === 6 && new Set(a.messages().map((m) => m.partition)).size === 6,
          60_000,
          "a handling all 6 partitions",
        );
        timeline.joined = Date.now();
        lateness = measureTimerLateness();
        b = startServer(cfg, handler("b"));
        await until(() => b!.messages().length > 0 && a.revocations() > 0, 60_000, "b handling messages, a revoked");
        const { groupID } = scenario;
        expect((await describeGroup(groupID)).type).toBe(type);
        // b handles a while, then leaves gracefully; a gets the partitions back and handles them.
        await sleep(2_000);
        timeline.leaving = Date.now();
        await b.stop();
        timeline.left = Date.now();
        await until(() => a.owned().size === 6, 60_000, "a owning all 6 partitions again");
        const back = a.handled.length;
        await until(() => new Set(a.handled.slice(back).map((h) => h.message.partition)).size === 6, 30_000, "a handling all 6 again");
        await writer.stop();
        timeline.written = Date.now();
        const all = () => [...a.messages(), ...b!.messages()].map((m) => m.valueString());
        await until(
          () => new Set(all()).size >= writer.values.length,
          60_000,
          () => `${new Set(all()).size} of ${writer.values.length} handled`,
        );
      } finally {
        lateness?.stop();
        await writer.stop();
        await b?.stop();
        revoked = revocations(a); // before a's own stop revokes everything
        await a.stop();
      }
      // Every handling time is taken in this process: how late its timers fired is printed beside the gaps.
      const late = lateness?.maxMs() ?? 0;
      const moved = new Set(revoked.flatMap((r) => r.partitions));
      const kept = PARTITIONS.filter((p) => !moved.has(p));
      const serverGaps = new Map(kept.map((p) => [p, longestServerGap(a, p, writer.ackedAt, timeline.joined!, timeline.written!)]));
      // The slow calls in flight on a moving partition when its revocation began, which it waited for.
      const waitedFor = slow.filter(
        (call) =>
          call.member === "a" && revoked.some((r) => r.partitions.includes(call.partition) && call.start < r.from && call.end >= r.from),
      );
      const handled = [...a.messages(), ...b.messages()].map((m) => m.valueString());
      const rel = (t: number) => t - timeline.joined!;
      console.log(
        `hand-over (${keys}): moved ${[...moved].join(",")}, kept ${kept.join(",")}; longest gap of a per partition ` +
          PARTITIONS.map((p) => {
            const gap = longestGapAt(a, p, timeline.joined!, timeline.written!);
            return `${p}: ${gap.ms} ms from ${rel(gap.at)}`;
          }).join(", ") +
          `; the server's own (net of the writer's stalls), on kept: ${[...serverGaps].map(([p, gap]) => `${p}: ${gap} ms`).join(", ")}` +
          `; standby: ${a.logLines
            .filter((l) => l.includes("standby"))
            .map((l) => {
              const e = JSON.parse(l) as { time: number; msg: string };
              return `${rel(e.time)} ${e.msg}`;
            })
            .join(" | ")}` +
          `; revocations of a ${revoked.map((r) => `[${r.partitions.join(",")}] ${rel(r.from)}..${rel(r.to)} ms`).join(" ")}; ` +
          `slow calls in flight it waited for: ${waitedFor.map((c) => `p${c.partition} ${rel(c.start)}..${rel(c.end)} ms`).join(", ") || "none"}; ` +
          `${handled.length} handled, ${new Set(handled).size} distinct, ${writer.values.length} written; b left in ${timeline.left - timeline.leaving} ms` +
          `; timers fired up to ${late} ms late` +
          `; warnings: ${[...warningsIn(a.logLines).map((w) => `a: ${w}`), ...warningsIn(b.logLines).map((w) => `b: ${w}`)].join(" | ") || "none"}`,
      );
      expect(new Set(handled)).toEqual(new Set(writer.values)); // nothing lost
      expect(handled.length).toBe(writer.values.length); // nothing handled twice
      expect(moved.size).toBeGreaterThan(0);
      expect(kept.length).toBeGreaterThan(0);
      expect(waitedFor.length).toBeGreaterThan(0); // a 3 s call was in flight on a partition that moved
      // ... and the revocation held its partitions until that call was done.
      for (const call of waitedFor) expect(revoked.some((r) => r.partitions.includes(call.partition) && r.to >= call.end)).toBe(true);
      // The writer and both servers run in this process: a stall of its event loop (make test runs other
      // files beside this one) delays writing and handling alike, so it is added to the bound.
      for (const p of kept)
        expect(serverGaps.get(p), `the server's longest gap on kept partition ${p}`).toBeLessThan(KEPT_GAP_BOUND_MS + late);
    },
    180_000,
  );
});

describe("static membership", () => {
  it.each([
    {
      keys: "classic (the default eager assignors)",
      groupKeys: 'heartbeatInterval = "500ms"\nsessionTimeout = "30s"\nrebalanceTimeout = "10s"\nmaxWait = "100ms"',
    },
    { keys: 'groupProtocol = "consumer"', groupKeys: 'groupProtocol = "consumer"\nmaxWait = "100ms"' },
  ])(
    "$keys: a server with groupInstanceID restarted within its session timeout gets its partitions back; the other member is not rebalanced",
    async ({ keys, groupKeys }) => {
      const scenario = serverScenario({
        name: "static",
        partitions: 6,
        groupKeys: `${groupKeys}\ngroupInstanceID = "\${EKAFKA_E2E_INSTANCE}"`,
      });
      await scenario.create();
      const cfg = e2eConfig(scenario.toml);
      const member = (instance: string) => {
        process.env["EKAFKA_E2E_INSTANCE"] = `${scenario.groupID}-${instance}`; // read as the server's component is built
        return startServer(cfg);
      };
      const a = member("a");
      const writer = steadyWriter(build(scenario.toml), { slow: false }); // its cg1 (never used) is a's
      const first = member("b");
      const running = new Set([a, first]);
      const stop = async (server: RunningServer) => {
        running.delete(server);
        await server.stop();
      };
      try {
        const shared = () => a.owned().size > 0 && first.owned().size > 0 && a.owned().size + first.owned().size === 6;
        await until(shared, 60_000, () => `a and b sharing the 6 partitions (a ${[...a.owned()]}, b ${[...first.owned()]})`);
        const before = { revocations: a.revocations(), assignments: a.assignments(), ofB: [...first.owned()].sort() };
        await stop(first);
        const second = member("b");
        running.add(second);
        await until(() => second.messages().length > 0, 40_000, "the restarted b handling messages");
        await writer.stop();
        const all = () => new Set([a, first, second].flatMap((server) => server.messages().map((m) => m.valueString())));
        await until(
          () => all().size >= writer.values.length,
          60_000,
          () => `${all().size} of ${writer.values.length} handled (a owns ${[...a.owned()].join(",")}, b ${[...second.owned()].join(",")})`,
        );
        console.log(
          `static membership (${keys}): b owned ${before.ofB.join(",")} before and ${[...second.owned()].sort().join(",")} after ` +
            `its restart; a's revocations ${before.revocations} -> ${a.revocations()}, assignments ${before.assignments} -> ${a.assignments()}`,
        );
        expect([...second.owned()].sort()).toEqual(before.ofB);
        expect(a.revocations()).toBe(before.revocations); // no rebalance of the other member
        expect(a.assignments()).toBe(before.assignments);
      } finally {
        await writer.stop();
        await Promise.all([...running].map(stop));
      }
    },
    180_000,
  );
});
