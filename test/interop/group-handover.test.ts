// A group moved between a Go service (kafka-go, as Go ekafka reads) and a Consumer Server, one after
// the other: each side starts exactly after the other's last commit.
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../e2e/support/env.js";
import { createTopic, fillTopic } from "../e2e/support/raw.js";
import { buildKgo, runKgo, type Report } from "./support/kgo.js";
import { e2eConfig } from "../e2e/support/component.js";
import { scenarioToml } from "../e2e/support/scenario.js";
import { startServer } from "../e2e/support/server.js";
import { until } from "../e2e/support/wait.js";

let kgo: string;

beforeAll(async () => {
  kgo = await buildKgo();
}, 180_000);

const id = (partition: number, offset: number) => `${partition}@${offset}`;
const messagesOf = (reports: Report[]) => reports.filter((r) => r.event === "message");

describe("a group handed over between kafka-go and a Consumer Server", () => {
  it("the Consumer Server starts exactly after Go's last commit (nothing skipped, nothing re-read), and Go after the server's", async () => {
    const topic = uniqueName("interop-handover");
    const groupID = uniqueName("g-handover");
    await createTopic(topic, 3, 3);
    const values = Array.from({ length: 60 }, (_, i) => `m-${i}`);
    await fillTopic(topic, values);

    // 1. Go reads and commits 25 of the 60 messages, then leaves the group.
    const goRead = messagesOf(await runKgo(kgo, ["consume", "-topic", topic, "-group", groupID, "-count", "25"]));
    expect(goRead).toHaveLength(25);
    const goNext = new Map<number, number>();
    for (const r of goRead) goNext.set(r.partition as number, Math.max(goNext.get(r.partition as number) ?? 0, (r.offset as number) + 1));

    // 2. The Consumer Server, same group: it must read exactly the other 35.
    const server = startServer(e2eConfig(scenarioToml({ topic, groupID })));
    try {
      const committed = await server.kafka.client().offsetFetch(groupID, topic);
      for (const [partition, next] of goNext) expect(committed.find((p) => p.partition === partition)?.offset).toBe(next);
      await until(() => server.messages().length >= 35, 60_000, "the 35 messages Go did not read");
    } finally {
      await server.stop();
    }
    const goIds = new Set(goRead.map((r) => id(r.partition as number, r.offset as number)));
    const tsIds = server.messages().map((m) => id(m.partition, m.offset));
    expect(tsIds.filter((x) => goIds.has(x))).toEqual([]); // nothing re-read
    expect(new Set(tsIds).size).toBe(tsIds.length);
    expect(tsIds).toHaveLength(35); // nothing skipped: 25 + 35 distinct = all 60
    expect(new Set([...goRead.map((r) => r.value), ...server.messages().map((m) => m.valueString())])).toEqual(new Set(values));
    for (const [partition, next] of goNext) {
      const first = Math.min(
        ...server
          .messages()
          .filter((m) => m.partition === partition)
          .map((m) => m.offset),
      );
      if (Number.isFinite(first)) expect(first).toBe(next);
    }

    // 3. Back to Go (a roll-back): it reads only what was written after the server's last commit.
    const later = Array.from({ length: 9 }, (_, i) => `later-${i}`);
    await fillTopic(topic, later);
    const goAgain = messagesOf(await runKgo(kgo, ["consume", "-topic", topic, "-group", groupID, "-count", "9"]));
    expect(goAgain.map((r) => r.value).sort()).toEqual([...later].sort());
  });
});
