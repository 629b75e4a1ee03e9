// Reading a topic whole, as a read_committed or a read_uncommitted reader sees it, for the exactly-once
// tests: every partition is read from its start until the client reports its end (the last stable
// offset for read_committed, so no transaction may still be open), and counting what came.
import kafka from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError, Message as RawMessage } from "@confluentinc/kafka-javascript";
import { bootstrap } from "./env.js";
import { disconnect } from "./raw.js";

/** librdkafka's logical offset "the partition's first". */
const OFFSET_BEGINNING = -2;

function callback<T>(fn: (cb: (err: LibrdKafkaError | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** Every message of `topic` (all `partitions`) as a reader with this isolation level sees it. */
export async function readWhole(
  topic: string,
  partitions: number,
  isolation: "read_committed" | "read_uncommitted",
  timeoutMs = 60_000,
): Promise<RawMessage[]> {
  const consumer = new kafka.KafkaConsumer(
    {
      "bootstrap.servers": bootstrap,
      "group.id": `whole-${topic}-${Date.now()}`,
      "isolation.level": isolation,
      "enable.partition.eof": true,
    },
    { "auto.offset.reset": "earliest" },
  );
  await callback((cb) => consumer.connect({ timeout: 10000 }, cb));
  const atEnd = new Set<number>();
  // The client emits each message and each end in order before the batch's callback: a message after
  // an end means the partition goes on.
  consumer.on("data", (m) => atEnd.delete(m.partition));
  consumer.on("partition.eof", (eof) => atEnd.add(eof.partition));
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: OFFSET_BEGINNING })));
  consumer.setDefaultConsumeTimeout(200);
  const messages: RawMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (atEnd.size < partitions) {
      if (Date.now() > deadline)
        throw new Error(`${topic}: ${atEnd.size} of ${partitions} partitions read to their end in ${timeoutMs} ms`);
      const batch = await callback<RawMessage[]>((cb) => consumer.consume(500, cb));
      messages.push(...batch);
    }
    return messages;
  } finally {
    await disconnect(consumer);
  }
}

/** How often each value occurs. */
export function countValues(messages: readonly RawMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const value = m.value?.toString() ?? "";
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/** The expected values missing from `counts`, and those seen more than once. */
export function exactlyOnceReport(
  expected: readonly string[],
  counts: ReadonlyMap<string, number>,
): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const wanted = new Set(expected);
  return {
    missing: expected.filter((v) => !counts.has(v)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([v]) => v),
    unexpected: [...counts.keys()].filter((v) => !wanted.has(v)),
  };
}
