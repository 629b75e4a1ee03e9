import type { Latency, Outcome, Throughput } from "./result.js";

/** One row of the results table: a measurement per contender (missing when not measured). */
export interface Row {
  name: string;
  /** "rate": messages/s, higher is better; "ms": latency, lower is better; "count": a number of messages. */
  unit: "rate" | "ms" | "count";
  ekafka?: Outcome<number>;
  raw?: Outcome<number>;
  kafkajs?: Outcome<number>;
  ceiling?: Outcome<number>;
  /** A diagnostic of ekafka alone (a variant or a layer of it): no ratios, no targets. */
  diagnostic?: boolean;
  /** Shown after the rate: MiB/s of each contender. */
  mib?: Partial<Record<"ekafka" | "raw" | "kafkajs" | "ceiling", number>>;
}

const CONTENDERS = ["ekafka", "raw", "kafkajs", "ceiling"] as const;
type Contender = (typeof CONTENDERS)[number];

export const fromThroughput = (outcome: Outcome<Throughput>): Outcome<number> => ("ok" in outcome ? { ok: outcome.ok.rate } : outcome);
export const fromLatency = (outcome: Outcome<Latency>, field: "p50" | "p99"): Outcome<number> =>
  "ok" in outcome ? { ok: outcome.ok[field] } : outcome;

/** ekafka's value over another contender's, or undefined when either is missing. */
export function ratio(row: Row, other: Contender): number | undefined {
  if (row.diagnostic === true) return undefined;
  const mine = row.ekafka;
  const theirs = row[other];
  if (mine === undefined || theirs === undefined || !("ok" in mine) || !("ok" in theirs) || theirs.ok === 0) return undefined;
  return mine.ok / theirs.ok;
}

/** The table as Markdown: a column per contender, then ekafka's ratios to the others. */
export function markdownTable(rows: readonly Row[]): string {
  const header = [
    "benchmark",
    "ekafka",
    "raw librdkafka",
    "KafkaJS",
    "Java ceiling",
    "ekafka / raw",
    "ekafka / KafkaJS",
    "ekafka / ceiling",
  ];
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`];
  for (const row of rows) {
    const cells = CONTENDERS.map((contender) => cell(row, contender));
    const ratios = (["raw", "kafkajs", "ceiling"] as const).map((other) => formatRatio(ratio(row, other)));
    lines.push(`| ${[row.name, ...cells, ...ratios].join(" | ")} |`);
  }
  return lines.join("\n");
}

function cell(row: Row, contender: Contender): string {
  const outcome = row[contender];
  if (outcome === undefined) return "";
  if ("skipped" in outcome) return `n/a (${outcome.skipped})`;
  if (row.unit === "ms") return `${outcome.ok.toFixed(1)} ms`;
  if (row.unit === "count") return outcome.ok.toLocaleString("en-US");
  const mib = row.mib?.[contender];
  return `${Math.round(outcome.ok).toLocaleString("en-US")}/s${mib === undefined ? "" : ` · ${mib.toFixed(1)} MiB/s`}`;
}

function formatRatio(value: number | undefined): string {
  return value === undefined ? "" : `${value.toFixed(2)}×`;
}
