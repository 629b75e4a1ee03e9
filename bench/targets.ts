import { ratio, type Row } from "./table.js";

/** A goal of the performance issue, checked against the measured rows. */
interface Target {
  name: string;
  rows: (row: Row) => boolean;
  other: "raw" | "kafkajs";
  /** Throughput rows: ekafka / other must be at least this in every row. */
  atLeast?: number;
  /** Latency rows (ms): ekafka / other must be at most this in every row. */
  atMost?: number;
  /** And the geometric mean of the ratios at least this. */
  meanAtLeast?: number;
  /** A stretch goal: reported, not required. */
  stretch?: boolean;
}

const isProduce = (r: Row): boolean => r.name.startsWith("produce");
const isEachMessage = (r: Row): boolean => r.name.startsWith("consume") && r.name.includes("each message");

const TARGETS: Target[] = [
  { name: "Producer ≥ 0.9× raw in every row", rows: isProduce, other: "raw", atLeast: 0.9, meanAtLeast: 0.97 },
  { name: "Consumer Server onEachMessage ≥ 1.0× the raw consume loop", rows: isEachMessage, other: "raw", atLeast: 1 },
  {
    name: "Consumer Server onEachBatch ≥ 1.0× the raw consume loop",
    rows: (r) => r.name.startsWith("consume") && r.name.includes("batches"),
    other: "raw",
    atLeast: 1,
  },
  {
    name: "stretch: Consumer Server onEachMessage reaches KafkaJS eachMessage",
    rows: isEachMessage,
    other: "kafkajs",
    atLeast: 1,
    stretch: true,
  },
  {
    name: "Avro through the schema registry ≥ 0.8× plain bytes, producing and consuming",
    rows: (r) => r.name.startsWith("schema registry:") && r.name.includes(" Avro "),
    other: "raw",
    atLeast: 0.8,
  },
  {
    name: "exactly-once ≥ 0.5× at-least-once (consume-transform-produce through the Consumer Server)",
    rows: (r) => r.name.startsWith("exactly-once:"),
    other: "raw",
    atLeast: 0.5,
  },
  {
    name: "Latency p99 at 1,000 msg/s ≤ 1.1× the raw client's",
    rows: (r) => r.name === "latency p99, write → handler",
    other: "raw",
    atMost: 1.1,
  },
];

/** The rate of the row named `name` (a single contender's cell), if measured. */
function rateOf(rows: readonly Row[], name: string): number | undefined {
  const row = rows.find((r) => r.name === name);
  const cell = row?.ekafka ?? row?.kafkajs;
  return cell !== undefined && "ok" in cell ? cell.ok : undefined;
}

/** The key-ordering targets: key at concurrency 100 ≥ 5,000 msg/s and ≥ 15× partition ordering; CPU-only handler loses ≤ 10 %. */
function orderingLines(rows: readonly Row[]): string[] {
  const key = rateOf(rows, "ordering: handler awaits 10 ms, ordering key, concurrency 100");
  const partition = rateOf(rows, "ordering: handler awaits 10 ms, ordering partition, one at a time");
  const cpuPartition = rateOf(rows, "ordering: CPU-only handler, ordering partition, one at a time");
  const cpuKey = rateOf(rows, "ordering: CPU-only handler, ordering key, concurrency 100");
  if (key === undefined || partition === undefined) return [];
  const verdict = (ok: boolean) => (ok ? "**met**" : "**missed**");
  const lines = [
    `- key ordering at concurrency 100 ≥ 5,000 msg/s with a 10 ms handler: ${verdict(key >= 5000)} (${Math.round(key).toLocaleString("en-US")} msg/s)`,
    `- key ordering at concurrency 100 ≥ 15× partition ordering (one at a time): ${verdict(key / partition >= 15)} (${(key / partition).toFixed(1)}×)`,
  ];
  if (cpuPartition !== undefined && cpuKey !== undefined)
    lines.push(
      `- CPU-only handler: key ordering loses ≤ 10 % against partition ordering: ${verdict(cpuKey / cpuPartition >= 0.9)} (${(cpuKey / cpuPartition).toFixed(2)}×)`,
    );
  return lines;
}

/** The targets as Markdown lines: for each, the rows that meet it and the worst and typical ratio. */
export function targetLines(rows: readonly Row[], latencyP99: number | undefined): string[] {
  const lines = TARGETS.map((target) => {
    const ratios = rows
      .filter((row) => row.diagnostic !== true && target.rows(row))
      .map((row) => ratio(row, target.other))
      .filter((r): r is number => r !== undefined);
    if (ratios.length === 0) return `- ${target.name}: not measured`;
    const meets = (r: number): boolean =>
      (target.atLeast === undefined || r >= target.atLeast) && (target.atMost === undefined || r <= target.atMost);
    const met = ratios.filter(meets).length;
    const mean = geometricMean(ratios);
    const meanMet = target.meanAtLeast === undefined || mean >= target.meanAtLeast;
    const verdict = met === ratios.length && meanMet ? "**met**" : target.stretch === true ? "not reached" : "**missed**";
    const name = target.meanAtLeast === undefined ? target.name : `${target.name}, geometric mean ≥ ${target.meanAtLeast}×`;
    const worst = target.atMost === undefined ? Math.min(...ratios) : Math.max(...ratios);
    const detail =
      ratios.length === 1
        ? `${ratios[0]!.toFixed(2)}×`
        : `met in ${met} of ${ratios.length} rows; worst ${worst.toFixed(2)}×, geometric mean ${mean.toFixed(2)}×`;
    return `- ${name}: ${verdict} (${detail})`;
  });
  const p99 = latencyP99 === undefined ? "not measured" : `${latencyP99 < 20 ? "**met**" : "**missed**"} (${latencyP99.toFixed(1)} ms)`;
  lines.push(`- ekafka end-to-end p99 < 20 ms at 1,000 msg/s: ${p99} (Kafka's own EndToEndLatency floor is in the table)`);
  lines.push(...orderingLines(rows));
  return lines;
}

function geometricMean(values: number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}
