// kafka-go's Hash balancer (the one Go ekafka's `balancer = "hash"` names) and our `hash` producer put
// each key on the same partition, on the real cluster, for several partition counts.
import { beforeAll, describe, expect, it } from "vitest";
import { componentsClosedAfterEach } from "../e2e/support/component.js";
import { uniqueName } from "../e2e/support/env.js";
import { consumeCount, createTopic } from "../e2e/support/raw.js";
import { buildKgo, runKgo } from "./support/kgo.js";

const components = componentsClosedAfterEach();
let kgo: string;

beforeAll(async () => {
  kgo = await buildKgo();
}, 180_000);

/** FNV-1a, 32 bits, read as a signed int32: kafka-go negates a negative remainder, the case worth covering. */
function fnv1aInt32(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash | 0;
}

const keys = [
  ...Array.from({ length: 60 }, (_, i) => `order-${i}`),
  ...Array.from({ length: 20 }, (_, i) => `user:${(i * 7919).toString(36)}`),
  "é-ünïcode-ключ",
  "a",
  " ",
];

describe("hash balancer parity with kafka-go", () => {
  it("the key set holds keys whose FNV-1a hash is negative as an int32, and positive ones", () => {
    expect(keys.filter((key) => fnv1aInt32(key) < 0).length).toBeGreaterThanOrEqual(20);
    expect(keys.filter((key) => fnv1aInt32(key) >= 0).length).toBeGreaterThanOrEqual(20);
  });

  for (const partitions of [3, 5, 12]) {
    it(`every key written by kafka-go's Hash and by balancer = "hash" lands on the same partition (${partitions} partitions)`, async () => {
      const topic = uniqueName(`interop-hash${partitions}`);
      await createTopic(topic, partitions, 3);
      await runKgo(kgo, ["produce", "-topic", topic], keys.map((key) => `${key}\tgo`).join("\n"));
      const kafka = components.build(`
[kafka.producers.p1]
topic = "${topic}"
balancer = "hash"
`);
      await kafka.producer("p1").writeMessages(...keys.map((key) => ({ key, value: "ts" })));

      const read = await consumeCount(topic, keys.length * 2);
      const placement = { go: new Map<string, number>(), ts: new Map<string, number>() };
      for (const message of read) placement[message.value!.toString() as "go" | "ts"].set(message.key!.toString(), message.partition);
      expect(placement.go.size).toBe(keys.length);
      expect(Object.fromEntries(placement.ts)).toEqual(Object.fromEntries(placement.go));
      // the keys are spread, so agreeing is not a matter of everything landing on one partition
      expect(new Set(placement.go.values()).size).toBe(partitions);
    });
  }
});
