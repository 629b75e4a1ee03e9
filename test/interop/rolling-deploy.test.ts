// A rolling deploy: kafka-go members (a Go ekafka service) and Consumer Server members in one group at
// the same time. kafka-go's group leader cannot read the member metadata librdkafka sends (librdkafka
// writes a newer version of the consumer protocol's subscription, kafka-go requires its own layout to
// the last byte) and leaves; a librdkafka member then leads and assigns only to librdkafka members,
// because it cannot read kafka-go's metadata either. So the Consumer Server members take over every
// partition and the Go members stay in the group idle. This file proves that, and that nothing is lost.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { componentsClosedAfterEach } from "../e2e/support/component.js";
import { uniqueName } from "../e2e/support/env.js";
import { createTopic } from "../e2e/support/raw.js";
import { buildKgo, startKgo, type Report, type RunningKgo } from "./support/kgo.js";
import { e2eConfig } from "../e2e/support/component.js";
import { scenarioToml } from "../e2e/support/scenario.js";
import { startServer, type RunningServer } from "../e2e/support/server.js";
import { sleep, until } from "../e2e/support/wait.js";

const components = componentsClosedAfterEach();
let kgo: string;
const running: Array<RunningKgo | RunningServer> = [];

beforeAll(async () => {
  kgo = await buildKgo();
}, 180_000);

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((member) => member.stop()));
});

const valuesOf = (reports: Report[]) => reports.filter((r) => r.event === "message").map((r) => r.value as string);

/** Writes numbered messages `v0`, `v1`, … every 40 ms until stopped; `sent()` says how many so far. */
function trickle(write: (value: string) => Promise<void>): { sent: () => number; stop: () => Promise<void> } {
  let sent = 0;
  let producing = true;
  const production = (async () => {
    while (producing) {
      await write(`v${sent}`);
      sent++;
      await sleep(40);
    }
  })();
  return {
    sent: () => sent,
    stop: async () => {
      producing = false;
      await production;
    },
  };
}

describe("Go and TypeScript members in one group (a rolling deploy)", () => {
  it("the Consumer Server members take over every partition, the Go members go idle, and no message is lost; at most one message per Go member and one commit interval of the trickle (25) read twice", async () => {
    const topic = uniqueName("interop-rolling");
    const groupID = uniqueName("g-rolling");
    const partitions = 6;
    await createTopic(topic, partitions, 3);
    const kafka = components.build(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
`);
    // A steady trickle of numbered messages for the whole deploy.
    const production = trickle((value) => kafka.producer("p1").writeMessages({ key: value, value }));
    try {
      // The old version: two Go members share the partitions.
      const goMembers = [0, 1].map(() => startKgo(kgo, ["member", "-topic", topic, "-group", groupID]));
      running.push(...goMembers);
      await until(() => goMembers.every((m) => valuesOf(m.reports()).length > 0), 60_000, "both Go members reading");

      // The first TypeScript instance joins: it ends up with every partition.
      const first = startServer(e2eConfig(scenarioToml({ topic, groupID })));
      running.push(first);
      await until(
        () => new Set(first.messages().map((m) => m.partition)).size === partitions,
        90_000,
        "the first Consumer Server member reading every partition",
      );
      expect(goMembers.some((m) => m.stderr().includes("unable to read metadata for member"))).toBe(true);

      // Once the rebalance has settled (a Go member may still hand over a message it had fetched), the
      // Go members read nothing while messages keep coming: they are idle members.
      const handledUpTo = (n: number) => () => first.messages().some((m) => Number(m.valueString().slice(1)) >= n);
      await until(handledUpTo(production.sent() + 25), 60_000, "25 more messages");
      const goReadBefore = goMembers.map((m) => valuesOf(m.reports()).length);
      await until(handledUpTo(production.sent() + 50), 60_000, "50 more messages");
      expect(goMembers.map((m) => valuesOf(m.reports()).length)).toEqual(goReadBefore);

      // A second TypeScript instance shares the partitions with the first; the Go members still get none.
      const second = startServer(e2eConfig(scenarioToml({ topic, groupID })));
      running.push(second);
      await until(() => second.messages().length > 0, 90_000, "the second Consumer Server member reading");
      expect(goMembers.map((m) => valuesOf(m.reports()).length)).toEqual(goReadBefore);

      // The old version stops; production stops; everything written was read by someone.
      const goValues = (await Promise.all(goMembers.map((m) => m.stop()))).flatMap(valuesOf);
      running.splice(running.indexOf(goMembers[0]!), 2);
      await production.stop();
      const sent = production.sent();
      const all = Array.from({ length: sent }, (_, i) => `v${i}`);
      const readByTs = () => new Set([...first.messages(), ...second.messages()].map((m) => m.valueString()));
      const seen = () => new Set([...goValues, ...readByTs()]);
      await until(() => all.every((v) => seen().has(v)), 60_000, `every one of the ${sent} messages read`);
      // At-least-once across rebalances: a message may be read twice, never lost. A Go member commits each
      // message before it reports it, so only the one it was reading when it lost its partitions can come
      // again; a Consumer Server commits every second (commitInterval 0), so at most that second of the
      // trickle (one message per 40 ms) is read again by the other TypeScript member.
      const tsValues = [...first.messages(), ...second.messages()].map((m) => m.valueString());
      const goAndTs = goValues.filter((v) => readByTs().has(v)).length;
      const tsTwice = tsValues.length - readByTs().size;
      console.log(
        `rolling deploy: ${sent} messages, ${goValues.length} read by Go, ${readByTs().size} by TypeScript; read again: ${goAndTs} by TypeScript after Go, ${tsTwice} twice by TypeScript`,
      );
      expect(goAndTs).toBeLessThanOrEqual(goMembers.length);
      expect(tsTwice).toBeLessThanOrEqual(25);
    } finally {
      await production.stop();
    }
  });

  it("a roll-back: when the TypeScript members leave, the idle Go members take the partitions back and nothing is lost; at most one message (Go's in flight at the takeover) read twice", async () => {
    const topic = uniqueName("interop-rollback");
    const groupID = uniqueName("g-rollback");
    const partitions = 4;
    await createTopic(topic, partitions, 3);
    const kafka = components.build(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
`);
    const production = trickle((value) => kafka.producer("p1").writeMessages({ key: value, value }));
    try {
      const go = startKgo(kgo, ["member", "-topic", topic, "-group", groupID]);
      running.push(go);
      await until(() => valuesOf(go.reports()).length > 0, 60_000, "the Go member reading");
      const server = startServer(e2eConfig(scenarioToml({ topic, groupID })));
      running.push(server);
      await until(
        () => new Set(server.messages().map((m) => m.partition)).size === partitions,
        90_000,
        "the Consumer Server reading every partition",
      );

      // The TypeScript member stops (a graceful stop commits): the Go member reads again.
      await server.stop();
      running.splice(running.indexOf(server), 1);
      const stoppedAt = production.sent();
      await until(() => valuesOf(go.reports()).some((v) => Number(v.slice(1)) >= stoppedAt + 20), 90_000, "the Go member reading again");
      await production.stop();
      const all = Array.from({ length: production.sent() }, (_, i) => `v${i}`);
      const tsValues = new Set(server.messages().map((m) => m.valueString()));
      const seen = () => new Set([...valuesOf(go.reports()), ...tsValues]);
      await until(() => all.every((v) => seen().has(v)), 60_000, `every one of the ${all.length} messages read`);
      const goValues = valuesOf(go.reports());
      const readTwice = goValues.filter((v) => tsValues.has(v)).length;
      console.log(
        `roll-back: ${all.length} messages, ${goValues.length} read by Go, ${tsValues.size} by TypeScript; read by both: ${readTwice}`,
      );
      // Go commits each message before it reports it and the graceful stop commits what the server handled:
      // only a message Go was reading when the Consumer Server took over can be read by both.
      expect(readTwice).toBeLessThanOrEqual(1);
    } finally {
      await production.stop();
    }
  });
});
