// producers.<name>.compression: the batch the broker stores is compressed with the configured codec
// (read from the segment file with Kafka's DumpLogSegments), and a consumer reads the messages back as
// they were written.
import { existsSync, readdirSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { Component } from "ekafka";
import { buildComponent } from "./support/component.js";
import { brokerDataDir, cluster, localCluster, uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";
import { until } from "./support/wait.js";

/** compression code → what DumpLogSegments prints after `compresscodec:` (Kafka 4.x: the codec's name). */
const CODECS = [
  { code: 0, name: "none" },
  { code: 1, name: "gzip" },
  { code: 2, name: "snappy" },
  { code: 3, name: "lz4" },
  { code: 4, name: "zstd" },
] as const;

const COUNT = 20;

/** The `.log` segment files of partition 0 of `topic` held by any broker that has data in them. */
function segmentFiles(topic: string): string[] {
  const files: string[] = [];
  for (const broker of [1, 2, 3]) {
    const dir = `${brokerDataDir(broker)}/${topic}-0`;
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = `${dir}/${name}`;
      if (name.endsWith(".log") && statSync(file).size > 0) files.push(file);
    }
  }
  return files;
}

/** The batch lines DumpLogSegments prints for the first segment with data (retrying while none is flushed). */
async function batchLines(topic: string): Promise<string[]> {
  let lines: string[] = [];
  await until(
    async () => {
      const files = segmentFiles(topic);
      if (files.length === 0) return false;
      const out = await cluster("dump-log", files[0]!);
      lines = out.split("\n").filter((l) => /^baseOffset: \d+/.test(l));
      return lines.length > 0;
    },
    15_000,
    `segment data of ${topic}-0 in a broker's data dir`,
    200,
  );
  return lines;
}

describe.runIf(localCluster)("compression", () => {
  const components: Component[] = [];
  afterAll(async () => {
    await Promise.all(components.map((c) => c.close()));
  });

  it.each(CODECS)("compression = $code stores the batch as $name and reads back unchanged", async ({ code, name }) => {
    const topic = uniqueName(`compression-${name}`);
    await createTopic(topic, 1, 3);
    const kafka = buildComponent(`
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
compression = ${code}

[kafka.consumers.c1]
topic = "${topic}"
partition = 0
startOffset = -2
maxWait = "100ms"
`);
    components.push(kafka);
    // Compressible values (librdkafka sends a batch uncompressed when compressing does not make it smaller).
    const written = Array.from({ length: COUNT }, (_, i) => ({
      key: `key-${i}`,
      value: `${name} message ${i} `.repeat(40) + "ü€✓",
      headers: { seq: String(i) },
    }));
    await kafka.producer("p1").writeMessages(...written);

    const lines = await batchLines(topic);
    const codecs = lines.map((l) => /compresscodec: (\S+)/.exec(l)?.[1]);
    expect(
      codecs.every((c) => c !== undefined),
      lines.join("\n"),
    ).toBe(true);
    // Every batch written carries the configured codec, and together they hold all messages.
    expect(new Set(codecs)).toEqual(new Set([name]));
    const counted = lines.reduce((sum, l) => sum + Number(/ count: (\d+)/.exec(l)?.[1] ?? NaN), 0);
    expect(counted).toBe(COUNT);

    const consumer = kafka.consumer("c1");
    const read = [];
    for (let i = 0; i < COUNT; i++) read.push(await consumer.readMessage({ timeoutMs: 15_000 }));
    expect(read.map((m) => m.offset)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(read.map((m) => m.keyString())).toEqual(written.map((w) => w.key));
    expect(read.map((m) => m.valueString())).toEqual(written.map((w) => w.value));
    expect(read.map((m) => m.header("seq"))).toEqual(written.map((w) => w.headers.seq));
  });
});
