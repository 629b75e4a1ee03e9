import type { Latency, Outcome, Throughput } from "./result.js";

/** Runs one contender; a failure becomes a table cell instead of ending the whole run. */
export async function attempt<T>(label: string, run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    const ok = await run();
    console.log(`  ${label}: ${describe(ok)}`);
    return { ok };
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^bench: /, "") : String(error);
    console.log(`  ${label}: FAILED ${reason}`);
    return { skipped: `failed: ${reason.length > 80 ? `${reason.slice(0, 80)}…` : reason}` };
  }
}

function describe(value: unknown): string {
  const v = value as Partial<Throughput & Latency>;
  if (v.rate !== undefined)
    return `${Math.round(v.rate).toLocaleString("en-US")} msg/s, ${v.mibPerSec!.toFixed(1)} MiB/s (${v.messages} in ${v.seconds!.toFixed(2)} s)`;
  return `p50 ${v.p50!.toFixed(1)} ms, p99 ${v.p99!.toFixed(1)} ms, max ${v.max!.toFixed(1)} ms (${v.samples} samples)`;
}
