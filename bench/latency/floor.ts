import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Latency } from "../result.js";
import { BROKERS } from "../settings.js";
import { LATENCY_VALUE_BYTES } from "./samples.js";

const run = promisify(execFile);
const clusterScript = fileURLToPath(new URL("../../../kafka/cluster.sh", import.meta.url));

/**
 * The floor: Kafka's own `org.apache.kafka.tools.EndToEndLatency` (in the broker jars), which sends one
 * message at a time with acks=all and waits until its own consumer has read it before sending the next.
 * Nothing queues behind anything, so this is the cluster's round trip for one message; it reports whole
 * milliseconds.
 */
export async function measureFloorLatency(topic: string, messages: number): Promise<Latency> {
  const { stdout } = await run(
    clusterScript,
    ["tool", "org.apache.kafka.tools.EndToEndLatency", BROKERS.join(","), topic, String(messages), "all", String(LATENCY_VALUE_BYTES)],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  // "Avg latency: 2.1234 ms" then "Percentiles: 50th = 2, 99th = 5, 99.9th = 9"
  const percentiles = /50th = (\d+(?:\.\d+)?), 99th = (\d+(?:\.\d+)?), 99\.9th = (\d+(?:\.\d+)?)/.exec(stdout);
  if (percentiles === null) throw new Error(`EndToEndLatency printed no percentiles:\n${stdout.slice(-2000)}`);
  // The tool prints no maximum: its 99.9th percentile stands in for it.
  return { p50: Number(percentiles[1]), p99: Number(percentiles[2]), max: Number(percentiles[3]), samples: messages };
}
