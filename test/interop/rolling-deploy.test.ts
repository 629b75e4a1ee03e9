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
import { serverToml, startServer, until, type RunningServer } from "./support/server.js";

const components = componentsClosedAfterEach();
let kgo: string;
const running: Array<RunningKgo | RunningServer> = [];

beforeAll(async () => {
  kgo = await buildKgo();
}, 180_000);

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((member) => member.stop()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const valuesOf = (reports: Report[]) => reports.filter((r) => r.event === "message").map((r) => r.value as string);

describe("Go and TypeScript members in one group (a rolling deploy)", () => {
  it("the Consumer Server members take over every partition, the Go members go idle, and no message is lost", async () => {
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
    let sent = 0;
    let producing = true;
    const production = (async () => {
      while (producing) {
        await kafka.producer("p1").writeMessages({ key: `k${sent}`, value: `v${sent}` });
        sent++;
        await sleep(40);
      }
    })();
    try {
      // The old version: two Go members share the partitions.
      const goMembers = [0, 1].map(() => startKgo(kgo, ["member", "-topic", topic, "-group", groupID]));
      running.push(...goMembers);
      await until(() => goMembers.every((m) => valuesOf(m.reports()).length > 0), 60_000, "both Go members reading");

      // The first TypeScript instance joins: it ends up with every partition.
      const first = startServer(serverToml(topic, groupID));
      running.push(first);
      await until(() => new Set(first.handled.map((m) => m.partition)).size === partitions, 90_000, "the first Consumer Server member reading every partition");
      expect(goMembers.some((m) => m.stderr().includes("unable to read metadata for member"))).toBe(true);

      // From now on the Go members read nothing, while messages keep coming: they are idle members.
      const goReadBefore = goMembers.map((m) => valuesOf(m.reports()).length);
      const sentBefore = sent;
      await until(() => first.handled.some((m) => Number(m.valueString().slice(1)) >= sentBefore + 50), 60_000, "50 more messages");
      expect(goMembers.map((m) => valuesOf(m.reports()).length)).toEqual(goReadBefore);

      // A second TypeScript instance shares the partitions with the first; the Go members still get none.
      const second = startServer(serverToml(topic, groupID));
      running.push(second);
      await until(() => second.handled.length > 0, 90_000, "the second Consumer Server member reading");
      expect(goMembers.map((m) => valuesOf(m.reports()).length)).toEqual(goReadBefore);

      // The old version stops; production stops; everything written was read by someone.
      const goValues = (await Promise.all(goMembers.map((m) => m.stop()))).flatMap(valuesOf);
      running.splice(running.indexOf(goMembers[0]!), 2);
      producing = false;
      await production;
      const all = Array.from({ length: sent }, (_, i) => `v${i}`);
      const readByTs = () => new Set([...first.handled, ...second.handled].map((m) => m.valueString()));
      const seen = () => new Set([...goValues, ...readByTs()]);
      await until(() => all.every((v) => seen().has(v)), 60_000, `every one of the ${sent} messages read`);
      // At-least-once across rebalances: a message may be read twice (never lost); the count is reported.
      const tsValues = [...first.handled, ...second.handled].map((m) => m.valueString());
      const goAndTs = goValues.filter((v) => readByTs().has(v)).length;
      const tsTwice = tsValues.length - readByTs().size;
      console.log(`rolling deploy: ${sent} messages, ${goValues.length} read by Go, ${readByTs().size} by TypeScript; read again: ${goAndTs} by TypeScript after Go, ${tsTwice} twice by TypeScript`);
    } finally {
      producing = false;
      await production;
    }
  });
});
