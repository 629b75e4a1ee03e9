// Producer settings a Go ekafka file may hold that librdkafka cannot take as written build and write
// on the cluster: writeTimeout not longer than batchTimeout (kafka-go accepted any combination).
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { withLogger } from "ekafka";
import { componentsClosedAfterEach } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { consumeCount, createTopic } from "./support/raw.js";

const components = componentsClosedAfterEach();

/** A logger at warn level whose lines end up in `warnings`. */
function warningsLogger(warnings: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      warnings.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  return pino({ level: "warn" }, sink);
}

describe("Go producer timings librdkafka cannot take as written", () => {
  it.each([
    // A batch waits batchTimeout unless it fills first, in kafka-go as in librdkafka: a full batch
    // (batchSize messages to the topic's one partition in one call) is sent at once, so the test need
    // not wait 90 s.
    {
      toml: 'batchTimeout = "1m30s"\nbatchSize = 20',
      partitions: 1,
      messages: 20,
      warning: /writeTimeout: 10s is not longer than batchTimeout \(1m30s\).*1m40s/,
    },
    {
      toml: 'batchTimeout = "1s"\nwriteTimeout = "1s"',
      partitions: 3,
      messages: 1,
      warning: /writeTimeout: 1s is not longer than batchTimeout \(1s\).*2s/,
    },
  ])("$toml builds (with one warning) and writes", async ({ toml, partitions, messages, warning }) => {
    const topic = uniqueName("e2e-go-values");
    await createTopic(topic, partitions, 3);
    const warnings: string[] = [];
    const kafka = components.build(`[kafka.producers.p1]\ntopic = "${topic}"\n${toml}`, withLogger(warningsLogger(warnings)));
    expect(warnings.filter((w) => warning.test(w))).toHaveLength(1);
    const values = Array.from({ length: messages }, (_, i) => `go-timing-${i}`);
    await kafka.producer("p1").writeMessages(...values.map((value) => ({ value })));
    const read = await consumeCount(topic, messages);
    expect(read.map((m) => m.value!.toString()).sort()).toEqual([...values].sort());
  });
});

describe("a consumer without a groupID (one partition)", () => {
  it("honours startOffset = -1 and starts at the newest message (kafka-go ignored it and read from the oldest)", async () => {
    const topic = uniqueName("e2e-go-partition");
    await createTopic(topic, 1, 3);
    const kafka = components.build(`
[kafka.producers.p1]
topic = "${topic}"
[kafka.consumers.c1]
topic = "${topic}"
partition = 0
startOffset = -1
maxWait = "100ms"
`);
    await kafka.producer("p1").writeMessages({ value: "before" });
    const reading = kafka.consumer("c1").readMessage({ timeoutMs: 60_000 });
    // The end is resolved once the partition is assigned; keep writing until the reader sees one.
    let done = false;
    void reading.finally(() => (done = true)).catch(() => undefined);
    for (let i = 0; !done && i < 100; i++) {
      await kafka.producer("p1").writeMessages({ value: `after-${i}` });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await reading).valueString()).toMatch(/^after-/);
  });
});
