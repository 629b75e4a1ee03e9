import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { throughput, type Throughput } from "../result.js";
import { BROKERS, PRODUCER, type Codec } from "../settings.js";

const run = promisify(execFile);
const clusterScript = fileURLToPath(new URL("../../../kafka/cluster.sh", import.meta.url));

/**
 * The ceiling: Kafka's own Java producer benchmark (org.apache.kafka.tools.ProducerPerformance) with the
 * same acks, linger, batch bytes and compression, writing random A-Z records as the others do.
 * Idempotence off, as librdkafka's default.
 */
export async function produceWithJava(topic: string, codec: Codec, size: number, count: number): Promise<Throughput> {
  const { stdout } = await run(
    clusterScript,
    [
      "tool",
      "org.apache.kafka.tools.ProducerPerformance",
      ...["--topic", topic, "--num-records", String(count), "--record-size", String(size), "--throughput", "-1"],
      "--producer-props",
      `bootstrap.servers=${BROKERS.join(",")}`,
      "acks=all",
      `compression.type=${codec}`,
      `linger.ms=${PRODUCER.lingerMs}`,
      `batch.size=${PRODUCER.batchBytes}`,
      "enable.idempotence=false",
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  // The last line: "200000 records sent, 123456.7 records/sec (11.77 MB/sec), 12.3 ms avg latency, …"
  const summary = /(\d+) records sent, ([\d.]+) records\/sec/.exec(stdout.trim().split("\n").at(-1) ?? "");
  if (summary === null) throw new Error(`ProducerPerformance printed no summary:\n${stdout}`);
  const rate = Number(summary[2]);
  return throughput(count, count / rate, size);
}
