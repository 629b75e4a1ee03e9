import type { Producer } from "ekafka";
import type { Counters } from "./counters.js";

/** Writes per tick: 10 ticks a second keep the rate smooth without a timer per message. */
const TICKS_PER_SECOND = 10;
/** Writes allowed in flight at once; beyond that the generator waits, so a slow cluster slows it down. */
const MAX_IN_FLIGHT = 8;
const VALUE = Buffer.alloc(200, "ekafka demo ");

/**
 * Writes `rate` messages a second (as fast as the cluster takes them when `rate` is 0) until `signal`
 * aborts, counting acknowledged messages and failed writes.
 */
export async function generateLoad(producer: Producer, rate: number, counters: Counters, signal: AbortSignal): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  const perWrite = rate > 0 ? Math.max(1, Math.round(rate / TICKS_PER_SECOND)) : 500;
  const started = performance.now();
  let written = 0;
  while (!signal.aborted) {
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    if (rate > 0) await sleep(Math.max(0, started + (written / rate) * 1000 - performance.now()));
    if (signal.aborted) break;
    const write = writeBatch(producer, perWrite, written, counters).finally(() => inFlight.delete(write));
    inFlight.add(write);
    written += perWrite;
  }
  await Promise.all(inFlight);
}

async function writeBatch(producer: Producer, count: number, first: number, counters: Counters): Promise<void> {
  const messages = Array.from({ length: count }, (_, i) => ({ key: String(first + i), value: VALUE }));
  try {
    await producer.writeMessages(...messages);
    counters.produced += count;
  } catch (error) {
    // A failed write may still have delivered some of its messages; those count as produced.
    const undelivered = (error as { failed?: unknown[] }).failed?.length ?? count;
    counters.produced += count - undelivered;
    counters.errors++; // the producer logs the reason
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
