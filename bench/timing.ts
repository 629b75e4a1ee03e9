/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `condition` holds, polling every 20 ms; rejects after `timeoutMs` naming `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bench: gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Milliseconds since the epoch with sub-millisecond resolution, comparable within one process. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

const processStart = performance.now();

/** `[m:ss]` since the bench started, to put in front of progress lines (shows where the time went). */
export function elapsed(): string {
  const seconds = Math.round((performance.now() - processStart) / 1000);
  return `[${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}]`;
}
