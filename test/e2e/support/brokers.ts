// Stopping the local cluster's brokers for a fault test, and starting them again after it. kafka/cluster.sh can report
// a broker that is still being launched as "exited while starting" (or a port not open in time) when the
// machine is busy, although it goes on starting: each start is tried up to three times.
import { afterEach } from "vitest";
import { cluster } from "./env.js";
import { sleep } from "./wait.js";

async function withRetries(what: string, start: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      return;
    } catch (error) {
      const reason = String((error as Error).message)
        .split("\n")
        .filter((line) => !line.startsWith("["))
        .join(" ");
      if (attempt >= 3) throw new Error(`${what} failed three times: ${reason}`);
      console.warn(`${what} failed (attempt ${attempt}), trying again: ${reason.slice(0, 500)}`);
      await sleep(2_000);
    }
  }
}

/** Starts broker `id` again and waits until the cluster serves (a running broker is only waited for). */
export function ensureBrokerUp(id: number): Promise<void> {
  return withRetries(`kafka/cluster.sh start-broker ${id}`, () => cluster("start-broker", String(id)));
}

/**
 * Stops all three brokers together, each with a controlled shutdown (kafka/cluster.sh stop-broker), and
 * waits until no broker process is left. The schema registry keeps running: it does not use the brokers,
 * and not restarting it leaves the brokers' start the CPU it would take.
 */
export async function stopAllBrokers(): Promise<void> {
  await Promise.all([1, 2, 3].map((id) => cluster("stop-broker", String(id))));
}

/** Starts every stopped broker together and waits for the quorum. */
export function clusterUp(): Promise<void> {
  return withRetries("kafka/cluster.sh up", () => cluster("up"));
}

/**
 * Registers an afterEach hook that starts again the broker a test stopped, whatever the test did: the
 * test calls `stopping(id)` before it stops the broker, and `started()` once it started it again itself.
 */
export function brokerStartedAfterEach(): { stopping(id: number): void; started(): void } {
  let stopped: number | undefined;
  afterEach(async () => {
    if (stopped === undefined) return;
    const id = stopped;
    stopped = undefined;
    await ensureBrokerUp(id);
  }, 120_000);
  return { stopping: (id) => void (stopped = id), started: () => void (stopped = undefined) };
}
