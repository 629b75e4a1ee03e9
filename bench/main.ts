// `make bench`: ekafka against the raw @confluentinc/kafka-javascript client, KafkaJS and Kafka's own
// Java producer, on the local cluster, in one run with the same settings for each. Prints one table with
// ekafka's ratios and writes BENCHMARKS.md. Not part of `make test`.
import { setLogLevel } from "ekafka/core";
import type { Component } from "ekafka";
import { attempt } from "./attempt.js";
import { benchComponent, producerToml } from "./component.js";
import { consumeWithEkafka } from "./consume/ekafka.js";
import { consumeWithEkafkaPoll } from "./consume/ekafka-poll.js";
import { fillTopic } from "./consume/fill.js";
import { consumeWithKafkajs } from "./consume/kafkajs.js";
import { copyWithEkafka } from "./consume/exactly-once.js";
import { consumeConcurrentlyWithKafkajs, consumeOrderedWithEkafka, fillKeyedTopic, type HandlerWork } from "./consume/ordering.js";
import { consumeWithRaw, RAW_BEST_BATCH } from "./consume/raw.js";
import { kafkajsCompression } from "./kafkajs.js";
import { ekafkaLatencyRig } from "./latency/ekafka.js";
import { kafkajsLatencyRig } from "./latency/kafkajs.js";
import { measureLatency } from "./latency/measure.js";
import { rawLatencyRig } from "./latency/raw.js";
import { AVRO_SIZE, PROTOBUF_SIZE, schemaRegistryRows } from "./schema-registry.js";
import { rollingRestartRows } from "./rolling-restart.js";
import type { LatencyRig } from "./latency/rig.js";
import { describeMachine, loadAverage } from "./machine.js";
import { Payloads } from "./payload.js";
import { produceWithJava } from "./produce/ceiling.js";
import { produceWithEkafka } from "./produce/ekafka.js";
import { produceWithKafkajs } from "./produce/kafkajs.js";
import { produceWithRaw } from "./produce/raw.js";
import { writeSequentiallyWithEkafka, writeSequentiallyWithRaw } from "./produce/sequential.js";
import { measureFloorLatency } from "./latency/floor.js";
import { writeReport } from "./report.js";
import type { Latency, Outcome, Throughput } from "./result.js";
import {
  CODECS,
  CONSUME_COUNT,
  CONSUME_REPEAT,
  CONSUME_SIZE,
  CONSUMER,
  EOS_COUNT,
  FLOOR_LATENCY_MESSAGES,
  LATENCY,
  PRODUCE_REPEAT,
  PRODUCE_ROWS,
  PRODUCER,
  ROLLING,
  SCALE,
  SCHEMA_REGISTRY_COUNT,
  SEQUENTIAL_ROWS,
  WRITE_CHUNK,
  WRITES_IN_FLIGHT,
} from "./settings.js";
import { fromLatency, fromThroughput, markdownTable, type Row } from "./table.js";
import { targetLines } from "./targets.js";
import { elapsed, sleep } from "./timing.js";
import { benchTopic, createTopic, deleteBenchTopics } from "./topics.js";

const mibOf = (outcome: Outcome<Throughput>) => ("ok" in outcome ? outcome.ok.mibPerSec : undefined);

/** The better of two outcomes of a throughput run: a failure only when both failed. */
function better(a: Outcome<Throughput> | undefined, b: Outcome<Throughput>): Outcome<Throughput> {
  if (a === undefined || !("ok" in a)) return b;
  if (!("ok" in b)) return a;
  return b.ok.rate > a.ok.rate ? b : a;
}

/**
 * One produce row: each contender writes the same count of the same kind of values to one topic,
 * PRODUCE_REPEAT times, keeping its best run. ekafka and raw take turns going first, so a warmer cluster
 * favours neither.
 */
async function produceRow(admin: Component, size: number, count: number, codec: (typeof CODECS)[number]): Promise<Row> {
  const topic = benchTopic(`produce-${size}-${codec}`);
  await createTopic(admin, topic);
  const payloads = new Payloads(size);
  const kafka = benchComponent(producerToml("bench", topic, codec));
  const compression = kafkajsCompression(codec);
  console.log(`${elapsed()} produce ${size} B ${codec} (${count.toLocaleString("en-US")} messages, best of ${PRODUCE_REPEAT})`);
  const runs: Record<"ekafka" | "raw" | "kafkajs" | "ceiling", () => Promise<Outcome<Throughput>>> = {
    ekafka: () => attempt("ekafka", () => produceWithEkafka(kafka.producer("bench"), payloads, count)),
    raw: () => attempt("raw", () => produceWithRaw(kafka.producerPropertiesOf("bench"), topic, payloads, count)),
    kafkajs: async () =>
      compression === undefined
        ? { skipped: "no built-in codec" }
        : attempt("KafkaJS", () => produceWithKafkajs(topic, compression, payloads, count)),
    ceiling: () => attempt("Java ProducerPerformance", () => produceWithJava(topic, codec, size, count)),
  };
  const best: Partial<Record<keyof typeof runs, Outcome<Throughput>>> = {};
  for (let repeat = 0; repeat < PRODUCE_REPEAT; repeat++) {
    const order =
      repeat % 2 === 0 ? (["ekafka", "raw", "kafkajs", "ceiling"] as const) : (["raw", "ekafka", "kafkajs", "ceiling"] as const);
    for (const contender of order) {
      if (contender === "kafkajs" && compression === undefined && best.kafkajs !== undefined) continue;
      best[contender] = better(best[contender], await runs[contender]());
    }
  }
  await kafka.close();
  const { ekafka, raw, kafkajs, ceiling } = best as Record<keyof typeof runs, Outcome<Throughput>>;
  return {
    name: `produce ${size === 1024 ? "1 KiB" : `${size} B`} ${codec}`,
    unit: "rate",
    ekafka: fromThroughput(ekafka),
    raw: fromThroughput(raw),
    kafkajs: fromThroughput(kafkajs),
    ceiling: fromThroughput(ceiling),
    mib: { ekafka: mibOf(ekafka), raw: mibOf(raw), kafkajs: mibOf(kafkajs), ceiling: mibOf(ceiling) },
  };
}

async function produceRows(admin: Component): Promise<Row[]> {
  const rows: Row[] = [];
  for (const { size, count } of PRODUCE_ROWS) {
    for (const codec of CODECS) rows.push(await produceRow(admin, size, count, codec));
  }
  return rows;
}

/**
 * A sequential produce row: one `await writeMessages(...)` of `perCall` 100-byte messages after the
 * other (raw: produce then wait for the reports), PRODUCE_REPEAT times each, best run kept.
 */
async function sequentialRow(admin: Component, perCall: number, calls: number): Promise<Row> {
  const topic = benchTopic(`produce-sequential-${perCall}`);
  await createTopic(admin, topic);
  const payloads = new Payloads(100);
  const kafka = benchComponent(producerToml("bench", topic, "none"));
  const what = `${perCall.toLocaleString("en-US")} message${perCall === 1 ? "" : "s"}`;
  console.log(
    `${elapsed()} produce sequentially, await writeMessages of ${what} (${calls.toLocaleString("en-US")} calls, best of ${PRODUCE_REPEAT})`,
  );
  let ekafka: Outcome<Throughput> | undefined;
  let raw: Outcome<Throughput> | undefined;
  for (let repeat = 0; repeat < PRODUCE_REPEAT; repeat++) {
    const runEkafka = async () =>
      (ekafka = better(
        ekafka,
        await attempt("ekafka", () => writeSequentiallyWithEkafka(kafka.producer("bench"), payloads, perCall, calls)),
      ));
    const runRaw = async () =>
      (raw = better(
        raw,
        await attempt("raw", () => writeSequentiallyWithRaw(kafka.producerPropertiesOf("bench"), topic, payloads, perCall, calls)),
      ));
    if (repeat % 2 === 0) await runEkafka().then(runRaw);
    else await runRaw().then(runEkafka);
  }
  await kafka.close();
  return {
    name: `produce 100 B none, sequential await of ${what}`,
    unit: "rate",
    ekafka: fromThroughput(ekafka!),
    raw: fromThroughput(raw!),
    mib: { ekafka: mibOf(ekafka!), raw: mibOf(raw!) },
  };
}

/**
 * The consume rows: each contender reads the same pre-filled topic from the start, in a group of its own;
 * then the diagnostic, ekafka's ConsumerGroup polled directly.
 */
async function consumeRows(admin: Component): Promise<Row[]> {
  const topic = benchTopic("consume");
  await createTopic(admin, topic);
  console.log(
    `${elapsed()} consume ${CONSUME_SIZE} B (${CONSUME_COUNT.toLocaleString("en-US")} messages; filling the topic; best of ${CONSUME_REPEAT})`,
  );
  await fillTopic(topic, CONSUME_SIZE, CONSUME_COUNT);
  const runs = {
    ekafka: () => attempt("ekafka Consumer Server", () => consumeWithEkafka(topic, CONSUME_SIZE, CONSUME_COUNT)),
    ekafkaBatch: () => attempt("ekafka Consumer Server onEachBatch", () => consumeWithEkafka(topic, CONSUME_SIZE, CONSUME_COUNT, "batch")),
    raw: () => attempt("raw consume loop", () => consumeWithRaw(topic, CONSUME_SIZE, CONSUME_COUNT)),
  };
  const best: Partial<Record<keyof typeof runs, Outcome<Throughput>>> = {};
  const order = ["ekafka", "ekafkaBatch", "raw"] as const;
  for (let round = 0; round < CONSUME_REPEAT; round++) {
    // Each round starts with the next contender: none is always first after the fill.
    for (let i = 0; i < order.length; i++) {
      const contender = order[(round + i) % order.length]!;
      best[contender] = better(best[contender], await runs[contender]());
    }
  }
  const { ekafka, ekafkaBatch, raw } = best as Record<keyof typeof runs, Outcome<Throughput>>;
  const kafkajs = await attempt("KafkaJS eachMessage", () => consumeWithKafkajs(topic, CONSUME_SIZE, CONSUME_COUNT));
  const rawBest = await attempt(`raw consume loop with consume(${RAW_BEST_BATCH}) (diagnostic)`, () =>
    consumeWithRaw(topic, CONSUME_SIZE, CONSUME_COUNT, RAW_BEST_BATCH),
  );
  const poll = await attempt("ekafka ConsumerGroup.poll loop (diagnostic)", () =>
    consumeWithEkafkaPoll(topic, CONSUME_SIZE, CONSUME_COUNT),
  );
  return [
    {
      name: `consume ${CONSUME_SIZE} B, each message (Consumer Server)`,
      unit: "rate",
      ekafka: fromThroughput(ekafka),
      raw: fromThroughput(raw),
      kafkajs: fromThroughput(kafkajs),
      mib: { ekafka: mibOf(ekafka), raw: mibOf(raw), kafkajs: mibOf(kafkajs) },
    },
    {
      name: `consume ${CONSUME_SIZE} B, batches (Consumer Server onEachBatch)`,
      unit: "rate",
      ekafka: fromThroughput(ekafkaBatch),
      raw: fromThroughput(raw),
      mib: { ekafka: mibOf(ekafkaBatch), raw: mibOf(raw) },
    },
    {
      name: `diagnostic: the raw loop with consume(${RAW_BEST_BATCH}), its best batch size here`,
      unit: "rate",
      diagnostic: true,
      raw: fromThroughput(rawBest),
      mib: { raw: mibOf(rawBest) },
    },
    {
      name: "diagnostic: ConsumerGroup.poll + storeOffsets loop",
      unit: "rate",
      diagnostic: true,
      ekafka: fromThroughput(poll),
      mib: { ekafka: mibOf(poll) },
    },
  ];
}

/**
 * The consume-transform-produce row: a Consumer Server copies a pre-filled topic to an output topic
 * through its handler, at-least-once (a plain producer; the raw column) and exactly-once
 * (`transactionalProducer`; the ekafka column), one run each on the same input, each in a new group
 * and to an output topic of its own.
 */
async function exactlyOnceRows(admin: Component): Promise<Row[]> {
  const input = benchTopic("eos-in");
  await createTopic(admin, input);
  console.log(
    `${elapsed()} consume-transform-produce ${CONSUME_SIZE} B (${EOS_COUNT.toLocaleString("en-US")} messages; filling the topic)`,
  );
  await fillTopic(input, CONSUME_SIZE, EOS_COUNT);
  const outcomes: Record<string, Outcome<Throughput>> = {};
  for (const mode of ["at-least-once", "exactly-once"] as const) {
    const output = benchTopic(`eos-out-${mode}`);
    await createTopic(admin, output);
    outcomes[mode] = await attempt(`ekafka Consumer Server copy, ${mode}`, () =>
      copyWithEkafka(mode, input, output, CONSUME_SIZE, EOS_COUNT),
    );
  }
  const eos = outcomes["exactly-once"]!;
  const alo = outcomes["at-least-once"]!;
  return [
    {
      name: `exactly-once: consume-transform-produce ${CONSUME_SIZE} B, transactionalProducer vs at-least-once`,
      unit: "rate",
      ekafka: fromThroughput(eos),
      raw: fromThroughput(alo),
      mib: { ekafka: mibOf(eos), raw: mibOf(alo) },
    },
  ];
}

/**
 * Keys of the ordering rows' topic, and how many messages each row reads: a partition-ordered row at 10 ms
 * a message is slow; the CPU-only rows read more, so that each lasts seconds rather than a fraction of one
 * (at 20,000 messages, ~0.3 s, two runs differed by 8 %).
 */
const ORDERING = {
  keys: 1000,
  slowCount: Math.max(300, Math.round(3000 * SCALE)),
  count: Math.max(2000, Math.round(20_000 * SCALE)),
  cpuCount: Math.max(10_000, Math.round(150_000 * SCALE)),
};

/**
 * The ordering rows: a Consumer Server `onEachMessage` whose handler awaits 10 ms (I/O), on 3 partitions
 * and 1,000 keys, with each ordering and concurrency, and KafkaJS with `partitionsConsumedConcurrently: 3`;
 * then a handler that does not wait (CPU only), partition against key ordering. Single runs.
 */
async function orderingRows(admin: Component): Promise<Row[]> {
  const topic = benchTopic("ordering");
  await createTopic(admin, topic);
  const filled = Math.max(ORDERING.count, ORDERING.cpuCount);
  console.log(`${elapsed()} ordering: ${filled.toLocaleString("en-US")} messages over ${ORDERING.keys} keys (filling the topic)`);
  await fillKeyedTopic(topic, filled, ORDERING.keys);
  const io: HandlerWork = { waitMs: 10 };
  const ekafkaRow = async (name: string, serverKeys: string, count: number, work: HandlerWork): Promise<Row> => {
    const outcome = await attempt(name, () => consumeOrderedWithEkafka(topic, count, serverKeys, work));
    return { name, unit: "rate", ekafka: fromThroughput(outcome), diagnostic: true, mib: { ekafka: mibOf(outcome) } };
  };
  const kafkajs = await attempt("KafkaJS partitionsConsumedConcurrently 3, handler awaits 10 ms", () =>
    consumeConcurrentlyWithKafkajs(topic, ORDERING.slowCount, 3, io),
  );
  return [
    await ekafkaRow("ordering: handler awaits 10 ms, ordering partition, one at a time", "", ORDERING.slowCount, io),
    await ekafkaRow(
      "ordering: handler awaits 10 ms, ordering partition, partitionConcurrency",
      "partitionConcurrency = true",
      ORDERING.slowCount,
      io,
    ),
    await ekafkaRow(
      "ordering: handler awaits 10 ms, ordering key, concurrency 100",
      'ordering = "key"\nconcurrency = 100',
      ORDERING.count,
      io,
    ),
    await ekafkaRow(
      "ordering: handler awaits 10 ms, ordering key, concurrency 1,000",
      'ordering = "key"\nconcurrency = 1000',
      ORDERING.count,
      io,
    ),
    await ekafkaRow(
      "ordering: handler awaits 10 ms, unordered, concurrency 1,000",
      'ordering = "unordered"\nconcurrency = 1000',
      ORDERING.count,
      io,
    ),
    {
      name: "ordering: handler awaits 10 ms, KafkaJS partitionsConsumedConcurrently 3",
      unit: "rate",
      kafkajs: fromThroughput(kafkajs),
      mib: { kafkajs: mibOf(kafkajs) },
    },
    await ekafkaRow("ordering: CPU-only handler, ordering partition, one at a time", "", ORDERING.cpuCount, "cpu"),
    await ekafkaRow(
      "ordering: CPU-only handler, ordering key, concurrency 100",
      'ordering = "key"\nconcurrency = 100',
      ORDERING.cpuCount,
      "cpu",
    ),
  ];
}

/** A diagnostic variant: the producer's in-flight requests per broker bounded as the Java client's default. */
const BOUNDED_IN_FLIGHT = { "max.in.flight.requests.per.connection": "5" };

/**
 * The latency rows: p50 and p99 of each contender at the same fixed rate, each on a topic of its own;
 * then ekafka again with BOUNDED_IN_FLIGHT (diagnostic).
 */
async function latencyRows(admin: Component): Promise<{ rows: Row[]; ekafkaP99: number | undefined }> {
  console.log(
    `${elapsed()} latency at ${LATENCY.rate.toLocaleString("en-US")} msg/s for ${LATENCY.seconds} s (+${LATENCY.warmupSeconds} s warm-up)`,
  );
  const rigs: Record<"ekafka" | "raw" | "kafkajs" | "bounded", (topic: string) => LatencyRig> = {
    ekafka: (topic) => ekafkaLatencyRig(topic),
    raw: rawLatencyRig,
    kafkajs: kafkajsLatencyRig,
    bounded: (topic) => ekafkaLatencyRig(topic, BOUNDED_IN_FLIGHT),
  };
  const outcomes: Partial<Record<keyof typeof rigs, Outcome<Latency>>> = {};
  for (const [name, rig] of Object.entries(rigs) as [keyof typeof rigs, (topic: string) => LatencyRig][]) {
    const topic = benchTopic(`latency-${name}`);
    await createTopic(admin, topic);
    const label = name === "bounded" ? "ekafka + max.in.flight.requests.per.connection=5 (diagnostic)" : name;
    outcomes[name] = await attempt(label, () => measureLatency(rig(topic)));
  }
  const row = (field: "p50" | "p99"): Row => ({
    name: `latency ${field}, write → handler`,
    unit: "ms",
    ekafka: fromLatency(outcomes.ekafka!, field),
    raw: fromLatency(outcomes.raw!, field),
    kafkajs: fromLatency(outcomes.kafkajs!, field),
  });
  const bounded = (field: "p50" | "p99"): Row => ({
    name: `diagnostic: latency ${field}, ekafka + max.in.flight.requests.per.connection=5`,
    unit: "ms",
    diagnostic: true,
    ekafka: fromLatency(outcomes.bounded!, field),
  });
  const floorTopic = benchTopic("latency-floor");
  await createTopic(admin, floorTopic);
  const floor = await attempt(
    `Kafka's EndToEndLatency (floor, ${FLOOR_LATENCY_MESSAGES.toLocaleString("en-US")} messages one at a time)`,
    () => measureFloorLatency(floorTopic, FLOOR_LATENCY_MESSAGES),
  );
  const floorRow = (field: "p50" | "p99"): Row => ({
    name: `floor: latency ${field}, Kafka's EndToEndLatency (one message at a time)`,
    unit: "ms",
    ceiling: fromLatency(floor, field),
  });
  const ekafkaP99 = outcomes.ekafka !== undefined && "ok" in outcomes.ekafka ? outcomes.ekafka.ok.p99 : undefined;
  return { rows: [row("p50"), row("p99"), floorRow("p50"), floorRow("p99"), bounded("p50"), bounded("p99")], ekafkaP99 };
}

function settingsLines(): string[] {
  return [
    `Produce: acks=all, linger ${PRODUCER.lingerMs} ms, batches up to ${PRODUCER.batchMessages.toLocaleString("en-US")} messages / ${PRODUCER.batchBytes.toLocaleString("en-US")} bytes, keyless values of random A–Z letters (as ProducerPerformance writes), 3 partitions × replication factor 3, min.insync.replicas 2. ` +
      `ekafka: the Producer of \`[kafka.producers.bench]\` with its default interceptors (timing, trace, metrics; debug off), ${WRITE_CHUNK} messages per writeMessages call, ${WRITES_IN_FLIGHT} calls in flight. ` +
      'raw: `@confluentinc/kafka-javascript` Producer built from `component.producerPropertiesOf("bench")` (the identical librdkafka properties), produce() per message in the same pattern — chunks of ' +
      `${WRITE_CHUNK}, ${WRITES_IN_FLIGHT} chunks unacknowledged at a time, each done when its delivery reports are in — round-robin partitions like ekafka's default balancer, delivery reports polled in the background. ` +
      `KafkaJS 2: send() of ${WRITE_CHUNK} messages, ${WRITES_IN_FLIGHT} in flight (it batches per call; GZIP is its only built-in codec). ` +
      "Java ceiling: `org.apache.kafka.tools.ProducerPerformance` with acks=all, the same linger, batch.size and compression, idempotence off.",
    `Produce counts: ${PRODUCE_ROWS.map((r) => `${r.count.toLocaleString("en-US")} messages of ${r.size} bytes`).join(", ")} per contender and run; each contender runs ${PRODUCE_REPEAT} times per row (ekafka and raw taking turns to go first) and its best run is shown; each run first writes an untimed warm-up of ${WRITE_CHUNK} messages (connections, metadata).`,
    `Consume: ${CONSUME_COUNT.toLocaleString("en-US")} messages of ${CONSUME_SIZE} bytes read from the start by a new group each, timed from the first message handled to the last (group join excluded); ekafka (both modes) and raw run ${CONSUME_REPEAT} times each, the order turning each round, and show their best run, KafkaJS and the diagnostics once; commits every ${CONSUMER.commitIntervalMs} ms of offsets stored after handling (at-least-once). ` +
      "ekafka: a Consumer Server `onEachMessage` in an App (one message at a time); the batches row: `onEachBatch` (one partition's batch of up to 500 at a time). raw: `consume(500)` loop with the librdkafka properties of ekafka's consumer group (auto-commit on, auto-store off), offsetsStore after each handled batch. KafkaJS: `eachMessage` with autoCommitInterval.",
    `Consume-transform-produce: ${EOS_COUNT.toLocaleString("en-US")} messages of ${CONSUME_SIZE} bytes read from the start by a Consumer Server \`onEachMessage\` in a new group, its handler writing each message's value to an output topic (3 partitions, its own per mode), timed from the first message handled to the last, one run each. ` +
      "At-least-once: a plain producer with `async = true` (writes resolve once queued), offsets stored after handling and committed in the background; exactly-once: `transactionalProducer` with the default `transactionInterval` (100ms), the writes through `ctx.producer` and the offsets committed in the same transactions. Same producer settings as the produce rows otherwise.",
    `Sequential produce: ${SEQUENTIAL_ROWS.map((r) => `${r.calls.toLocaleString("en-US")} calls of ${r.perCall.toLocaleString("en-US")}`).join(" and ")} messages of 100 bytes, each call awaited before the next (ekafka: \`await writeMessages(...)\`; raw: produce() then wait for the delivery reports), after one untimed call.`,
    `Latency: ${LATENCY.rate.toLocaleString("en-US")} messages/s of 100 bytes for ${LATENCY.seconds} s after a ${LATENCY.warmupSeconds} s warm-up, one message per write call, from the write call to the handler in the same process; a new topic and group per contender. ekafka: writeMessages → Consumer Server onEachMessage; raw: produce() → consume loop; KafkaJS: the writes of each linger.ms window in one send() (KafkaJS has no linger) → eachMessage. ` +
      `Floor: Kafka's own \`org.apache.kafka.tools.EndToEndLatency\` (broker jars), ${FLOOR_LATENCY_MESSAGES.toLocaleString("en-US")} messages of 100 bytes with acks=all, one at a time (each read back by its consumer before the next is sent), percentiles in whole milliseconds as it prints them; shown in the ceiling column.`,
    `Schema registry: ${SCHEMA_REGISTRY_COUNT.toLocaleString("en-US")} records (a string id, a long, an 83-letter string) of ${AVRO_SIZE} bytes on the wire in Avro, ${PROTOBUF_SIZE} in Protobuf (the 5-byte schema header and Protobuf's message index included), written by a producer with \`valueFormat = "avro"\` / \`"protobuf"\` and read by a Consumer Server with the same valueFormat through the local cluster's Apicurio Registry, against the same producer and server writing and reading plain values of the same size; same producer and consumer settings as above, one run each.`,
    `Rolling restart: 3 Consumer Servers, each in its own process, in one group on ${ROLLING.partitions} partitions, ${ROLLING.perPartitionRate} messages/s written to each; \`ordering = "key"\` (20 keys), \`concurrency = 32\`; 1 message in ${ROLLING.slowEvery} takes ${ROLLING.slowMs} ms to handle (it holds up its key, not its partition). ` +
      `Each member in turn gets SIGTERM (graceful stop), is started again, and the next waits ${ROLLING.settleMs / 1000} s past the restarted member's first message. A pause is the longest time without a message handled on a partition from the SIGTERM to the end of that wait; "unmoved" partitions are those another member handled both before the SIGTERM and at the end. ` +
      'Modes: classic eager (the default range/roundrobin assignors; heartbeatInterval 500ms, sessionTimeout 10s), cooperative-sticky (the same timings), static membership (classic eager, groupInstanceID per member, sessionTimeout 30s), KIP-848 (`groupProtocol = "consumer"`, the broker\'s default uniform assignor and 5 s heartbeat). Duplicates: messages handled more than once over the run.',
  ];
}

const NOTES = [
  "Ratios are ekafka's value over the other contender's in the same row: above 1× ekafka is faster; in the latency rows (milliseconds) below 1× ekafka is faster.",
  "Rows marked diagnostic measure one contender alone — a layer under the Consumer Server, a producer setting ekafka does not use by default, or the raw loop at its best batch size (the binding's floor) — to show where time goes; they count towards no target.",
  "In the exactly-once row the raw column is not the raw client: it is ekafka's Consumer Server copying at-least-once, so ekafka / raw is what exactly-once costs.",
  "In the schema registry rows the raw column is not the raw client: it is ekafka writing (reading) plain bytes of the Avro records' size, so ekafka / raw is what Avro through the registry costs.",
  "KafkaJS ships only a GZIP codec (Snappy, LZ4 and ZSTD need extra packages), so those rows have no KafkaJS cell.",
  "The Java ceiling's time includes its producer's start (metadata, first connections); the JS contenders write an untimed warm-up first.",
  "The latency runs load the brokers themselves (requests queue up at them), so the load average at the end is partly the bench's own.",
  "Contenders run one after the other, never at once. Produce rows and the compared consume contenders show each one's best run; KafkaJS consuming, the diagnostics and the latency rows are single runs. On a shared 2-core machine expect ±20 % between runs; the load average above says how busy it was.",
];

/**
 * Which groups of rows run: all by default; `BENCH_ONLY=produce,sequential,consume,eos,ordering,latency,schema-registry,rolling` (any subset)
 * runs only those, for checking one path (the table is then partial: do not publish it).
 */
const GROUPS = ["produce", "sequential", "consume", "eos", "ordering", "latency", "schema-registry", "rolling"];
const ONLY = new Set((process.env.BENCH_ONLY ?? GROUPS.join(",")).split(",").map((s) => s.trim()));

async function main(): Promise<void> {
  setLogLevel("warn");
  const started = performance.now();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  console.log(`ekafka bench on ${machine}, load average ${loadBefore}${SCALE === 1 ? "" : ` (BENCH_SCALE=${SCALE})`}`);
  const admin = benchComponent("");
  try {
    const removed = await deleteBenchTopics(admin);
    if (removed > 0) await sleep(2000); // let the brokers finish deleting an earlier run's topics
    const rows = ONLY.has("produce") ? await produceRows(admin) : [];
    if (ONLY.has("sequential")) for (const { perCall, calls } of SEQUENTIAL_ROWS) rows.push(await sequentialRow(admin, perCall, calls));
    if (ONLY.has("consume")) rows.push(...(await consumeRows(admin)));
    if (ONLY.has("eos")) rows.push(...(await exactlyOnceRows(admin)));
    if (ONLY.has("ordering")) rows.push(...(await orderingRows(admin)));
    if (ONLY.has("schema-registry")) rows.push(...(await schemaRegistryRows(admin, SCHEMA_REGISTRY_COUNT)));
    const latency = ONLY.has("latency") ? await latencyRows(admin) : { rows: [], ekafkaP99: undefined };
    rows.push(...latency.rows);
    if (ONLY.has("rolling")) rows.push(...(await rollingRestartRows(admin)));
    const table = markdownTable(rows);
    const targets = targetLines(rows, latency.ekafkaP99);
    const load = `1-minute load average ${loadBefore} at the start, ${loadAverage()} at the end`;
    console.log(`\nMachine: ${machine}; ${load}\n\n${table}\n\n${targets.join("\n")}`);
    if (GROUPS.some((group) => !ONLY.has(group))) {
      console.log("\nBENCH_ONLY is set: a partial table, BENCHMARKS.md is left as it is");
      return;
    }
    const path = writeReport({
      machine: `${machine}; ${load}${SCALE === 1 ? "" : `; BENCH_SCALE=${SCALE} (a trial: counts scaled)`}`,
      date: new Date(),
      durationSeconds: (performance.now() - started) / 1000,
      settings: settingsLines(),
      table,
      targets,
      notes: NOTES,
    });
    console.log(`\nwrote ${path}`);
  } finally {
    await deleteBenchTopics(admin).catch(() => 0);
    await admin.close();
  }
}

await main();
