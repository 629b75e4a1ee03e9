import type { Latency } from "../result.js";
import { LATENCY } from "../settings.js";
import { nowMs, sleep, until } from "../timing.js";
import type { LatencyRig } from "./rig.js";
import { LatencySamples, stampedValue } from "./samples.js";

/** How long after the last write every message must have been handled. */
const DRAIN_MS = 30_000;

/**
 * End-to-end latency at a fixed rate: waits until the consumer handles a first probe (group joined),
 * then writes LATENCY.rate messages a second for warm-up + LATENCY.seconds, each stamped with the time its
 * write was called, and records when its handler saw it. Warm-up samples are discarded.
 */
export async function measureLatency(rig: LatencyRig): Promise<Latency> {
  const samples = new LatencySamples();
  await rig.start((value) => samples.onValue(value));
  let failures = 0;
  const send = () => void rig.send(stampedValue()).catch(() => failures++);
  try {
    await probe(samples, send);
    const probes = samples.received;
    samples.from = nowMs() + LATENCY.warmupSeconds * 1000;
    const total = await paced(LATENCY.rate, LATENCY.warmupSeconds + LATENCY.seconds, send);
    const expected = probes + total - failures;
    await until(() => samples.received >= expected, "the last latency messages", DRAIN_MS).catch(() => {
      throw new Error(
        `bench: fell behind: ${samples.received - probes} of ${total} messages handled ${DRAIN_MS / 1000} s after the last write`,
      );
    });
    if (failures > 0) throw new Error(`bench: ${failures} latency writes failed`);
  } finally {
    await rig.stop();
  }
  return samples.summary();
}

/** Writes a message every 200 ms until one has been handled. */
async function probe(samples: LatencySamples, send: () => void): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (samples.received === 0) {
    if (Date.now() > deadline) throw new Error("bench: the latency consumer handled nothing within 60 s");
    send();
    await sleep(200);
  }
}

/** Calls `send` `rate` times a second for `seconds`, catching up each millisecond tick; returns how many. */
async function paced(rate: number, seconds: number, send: () => void): Promise<number> {
  const total = rate * seconds;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
    for (; sent < due; sent++) send();
    await sleep(1);
  }
  return sent;
}
