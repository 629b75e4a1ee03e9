import type { MessageInput, Producer } from "ekafka";
import { throughput, type Throughput } from "../result.js";
import { WRITE_CHUNK, WRITES_IN_FLIGHT } from "../settings.js";

/** Values to write: bytes (Payloads), or objects for a producer with a valueFormat; `size` is what a value weighs on the wire. */
export interface ValueSource {
  readonly size: number;
  valueAt(index: number): MessageInput["value"];
}

/**
 * Writes `count` messages through the ekafka Producer as an application writing fast would: chunks of
 * WRITE_CHUNK messages per writeMessages call, WRITES_IN_FLIGHT calls at a time; each call resolves once
 * its messages are acknowledged. Keyless: the default roundRobin balancer spreads them.
 */
export async function produceWithEkafka(producer: Producer, payloads: ValueSource, count: number): Promise<Throughput> {
  await writeAll(producer, payloads, WRITE_CHUNK); // connects and caches metadata: not timed
  const started = performance.now();
  await writeAll(producer, payloads, count);
  return throughput(count, (performance.now() - started) / 1000, payloads.size);
}

async function writeAll(producer: Producer, payloads: ValueSource, count: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let sent = 0; sent < count; sent += WRITE_CHUNK) {
    if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    const messages = Array.from({ length: Math.min(WRITE_CHUNK, count - sent) }, (_, i) => ({ value: payloads.valueAt(sent + i) }));
    const write = producer.writeMessages(...messages).finally(() => inFlight.delete(write));
    write.catch(() => undefined); // observed by the race/all; this keeps Node from calling it unhandled first
    inFlight.add(write);
  }
  await Promise.all(inFlight);
}
