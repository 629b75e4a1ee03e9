import { ratio, type Row } from "./table.js";

/** A goal of issue 6, checked against the measured rows. */
interface Target {
  name: string;
  rows: (row: Row) => boolean;
  other: "raw" | "kafkajs";
  /** ekafka / other must be at least this (throughput rows). */
  atLeast: number;
  /** And the geometric mean of the ratios at least this. */
  meanAtLeast?: number;
}

const TARGETS: Target[] = [
  { name: "Producer ≥ 0.9× raw in every row", rows: (r) => r.name.startsWith("produce"), other: "raw", atLeast: 0.9, meanAtLeast: 0.97 },
  { name: "Producer ≥ 3× KafkaJS", rows: (r) => r.name.startsWith("produce"), other: "kafkajs", atLeast: 3 },
  {
    name: "Consumer Server each-message ≥ 0.9× raw consume loop",
    rows: (r) => r.name.startsWith("consume") && r.name.includes("each message"),
    other: "raw",
    atLeast: 0.9,
  },
  {
    name: "Consumer Server each-message ≥ 3× KafkaJS",
    rows: (r) => r.name.startsWith("consume") && r.name.includes("each message"),
    other: "kafkajs",
    atLeast: 3,
  },
  {
    name: "Consumer Server onEachBatch ≥ 0.97× raw consume loop",
    rows: (r) => r.name.startsWith("consume") && r.name.includes("batches"),
    other: "raw",
    atLeast: 0.97,
  },
];

/** The targets as Markdown lines: for each, the rows that meet it and the worst and typical ratio. */
export function targetLines(rows: readonly Row[], latencyP99: number | undefined): string[] {
  const lines = TARGETS.map((target) => {
    const ratios = rows
      .filter((row) => row.diagnostic !== true && target.rows(row))
      .map((row) => ratio(row, target.other))
      .filter((r): r is number => r !== undefined);
    if (ratios.length === 0) return `- ${target.name}: not measured`;
    const met = ratios.filter((r) => r >= target.atLeast).length;
    const mean = geometricMean(ratios);
    const meanMet = target.meanAtLeast === undefined || mean >= target.meanAtLeast;
    const verdict = met === ratios.length && meanMet ? "**met**" : "**missed**";
    const name = target.meanAtLeast === undefined ? target.name : `${target.name}, geometric mean ≥ ${target.meanAtLeast}×`;
    return `- ${name}: ${verdict} (met in ${met} of ${ratios.length} rows; worst ${Math.min(...ratios).toFixed(2)}×, geometric mean ${mean.toFixed(2)}×)`;
  });
  const p99 = latencyP99 === undefined ? "not measured" : `${latencyP99 < 20 ? "**met**" : "**missed**"} (${latencyP99.toFixed(1)} ms)`;
  lines.push(`- ekafka end-to-end p99 < 20 ms at 1,000 msg/s: ${p99}`);
  return lines;
}

function geometricMean(values: number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}
