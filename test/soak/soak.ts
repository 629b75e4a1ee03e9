// Soak: a producer and a Consumer Server in one process at a steady rate for SOAK_SECONDS (default 600),
// watching memory and handles. `make soak` builds, compiles this file and runs it with --expose-gc; it is
// not part of `make test`.
//
// Every SOAK_REPORT_SECONDS (30) it prints a line: messages produced / acknowledged / handled, the lag,
// the end-to-end latency, RSS, heap used (after a full GC when --expose-gc is on) and the number of open
// handles (process.getActiveResourcesInfo().length). At the end it reports RSS at the start, after the
// warm-up and at the end, the RSS and heap slopes of the first and second half of the run after the
// warm-up, and whether memory levelled off.
//
// Exits non-zero when:
// - the consumer fell behind: at some report more than SOAK_MAX_LAG_SECONDS (10) of traffic was waiting,
//   or after SOAK_DRAIN_SECONDS (60) of draining at the end not every acknowledged message was handled;
// - a write failed (the cluster is healthy during a soak; a failure is worth a look);
// - memory kept growing: in the second half the RSS grew faster than the leak limit, and by more than
//   8 MB in all (so allocator noise in a short run does not count). The limit is 35 bytes per message
//   handled: at 2,000 msg/s, 4 MB/min. Each message allocates far more than that (a Message with its key,
//   value and header Buffers, a Date, an OpenTelemetry context, a logger binding: several hundred bytes),
//   so anything kept per message, or per write, shows up well above the limit, while a process whose
//   memory levelled off stays near 0 MB/min. With --expose-gc the heap after a full GC must not grow by
//   more than 9 bytes per message (1 MB/min at 2,000 msg/s) in the second half either (and by more than
//   4 MB in all);
// - open handles grew by more than 20 from the end of the warm-up (sockets or timers left behind).
//
// Each time another million messages was handled it prints RSS and heap then: a run passes one million
// when SOAK_SECONDS × SOAK_RATE exceeds it (the default 600 s at 2,000 msg/s: 1.2 million).
//
// Environment: SOAK_SECONDS (600), SOAK_RATE (2000 msg/s), SOAK_WARMUP_SECONDS (min(60, 20% of the run)),
// SOAK_REPORT_SECONDS (30), SOAK_BROKERS ("127.0.0.1:9091,127.0.0.1:9092,127.0.0.1:9093"),
// SOAK_MAX_LAG_SECONDS (10), SOAK_DRAIN_SECONDS (60); SOAK_HANDLER_MS (0: the handler waits that long per
// message), SOAK_ORDERING and SOAK_CONCURRENCY (the server's ordering and concurrency keys), e.g.
// `SOAK_RATE=5000 SOAK_HANDLER_MS=10 SOAK_ORDERING=key SOAK_CONCURRENCY=100 make soak` for key-ordered concurrency.
import { Config, setLogLevel } from "ekafka/core";
import { load, type Message } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

const env = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, found ${JSON.stringify(raw)}`);
  return value;
};
const SECONDS = env("SOAK_SECONDS", 600);
const RATE = env("SOAK_RATE", 2_000);
const WARMUP_SECONDS = env("SOAK_WARMUP_SECONDS", Math.min(60, Math.round(SECONDS * 0.2)));
const REPORT_SECONDS = env("SOAK_REPORT_SECONDS", 30);
const MAX_LAG_SECONDS = env("SOAK_MAX_LAG_SECONDS", 10);
const DRAIN_SECONDS = env("SOAK_DRAIN_SECONDS", 60);
const BROKERS = (process.env.SOAK_BROKERS ?? "127.0.0.1:9091,127.0.0.1:9092,127.0.0.1:9093").split(",");
/** How long the handler waits on each message (I/O it would do), in ms; 0 (the default) only yields once. */
const HANDLER_MS = env("SOAK_HANDLER_MS", 0);
/** Keys of `[kafkaConsumerServers.s1]`, one per line, e.g. `ordering = "key"` and `concurrency = 100` (SOAK_ORDERING and SOAK_CONCURRENCY set them). */
const SERVER_KEYS = [
  process.env.SOAK_ORDERING === undefined ? "" : `ordering = "${process.env.SOAK_ORDERING}"`,
  process.env.SOAK_CONCURRENCY === undefined ? "" : `concurrency = ${Number(process.env.SOAK_CONCURRENCY)}`,
].join("\n");
/** Memory growth allowed per message handled, in bytes (see the header). */
const RSS_BYTES_PER_MESSAGE = 35;
const HEAP_BYTES_PER_MESSAGE = 9;
const RSS_MIN_GROWTH_MB = 8;
const HEAP_MIN_GROWTH_MB = 4;
const HANDLE_GROWTH_LIMIT = 20;
const SAMPLE_MS = 5_000;
const TICK_MS = 50;
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
const started = Date.now();
const elapsed = () => (Date.now() - started) / 1000;

interface Sample {
  t: number; // seconds since start
  rss: number; // MB
  heap: number; // MB
  /** process.getActiveResourcesInfo().length: the handles and requests keeping the event loop alive. */
  handles: number;
  /** The same by type, e.g. "Timeout 2, FSReqCallback 1". */
  handleTypes: string;
}

/** Taken from a timer callback (the sampling interval itself counts as one handle). */
function sample(): Sample {
  gc?.();
  const memory = process.memoryUsage();
  const resources = process.getActiveResourcesInfo();
  const byType = new Map<string, number>();
  for (const type of resources) byType.set(type, (byType.get(type) ?? 0) + 1);
  return {
    t: elapsed(),
    rss: memory.rss / MB,
    heap: memory.heapUsed / MB,
    handles: resources.length,
    handleTypes: [...byType].map(([type, n]) => `${type} ${n}`).join(", "),
  };
}

/** Least-squares slope of y over t, per minute. */
function slopePerMinute(points: Array<{ t: number; y: number }>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function main(): Promise<number> {
  setLogLevel("warn");
  const topic = `soak-${Date.now().toString(36)}`;
  const cfg = new Config().loadString(`
[kafka]
brokers = ${JSON.stringify(BROKERS)}
[kafka.client]
timeout = "10s"
[kafka.producers.p1]
topic = "${topic}"
balancer = "hash"
batchTimeout = "5ms"
requiredAcks = -1
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${topic}"
maxWait = "100ms"
heartbeatInterval = "1s"
sessionTimeout = "10s"
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
${SERVER_KEYS}
`);
  const kafka = load("kafka", cfg).build();
  await kafka.client().createTopics([{ topic, numPartitions: 6, replicationFactor: 3 }]);
  const expected = Math.ceil(RATE * SECONDS) + 1_000;
  const seen = new Uint8Array(expected);
  let handled = 0;
  let distinct = 0;
  let latencySum = 0;
  let latencyMax = 0;
  let latencyCount = 0;
  const server = consumerserver.load("kafkaConsumerServers.s1", cfg).build(consumerserver.withEkafka(kafka));
  server.onEachMessage(async (_ctx, message: Message) => {
    if (HANDLER_MS > 0) await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
    const [seq, sentAt] = message.valueString().split(" ").map(Number) as [number, number];
    handled++;
    if (seen[seq] === 0) {
      seen[seq] = 1;
      distinct++;
    }
    const latency = Date.now() - sentAt;
    latencySum += latency;
    latencyCount++;
    if (latency > latencyMax) latencyMax = latency;
  });
  let serverError: unknown;
  const running = server.start().catch((error: unknown) => {
    serverError = error;
  });

  const samples: Sample[] = [];
  let warmup: Sample | undefined;
  const takeSample = () => {
    const taken = sample();
    samples.push(taken);
    if (warmup === undefined && taken.t >= WARMUP_SECONDS) warmup = taken;
    return taken;
  };
  // Every sample is taken in an interval's callback, so each counts that interval among the handles.
  const sampleNow = () =>
    new Promise<Sample>((resolve) => {
      const once = setInterval(() => {
        const taken = takeSample();
        clearInterval(once);
        resolve(taken);
      }, 0);
    });
  const first = await sampleNow();
  const sampler = setInterval(takeSample, SAMPLE_MS);
  console.log(
    `soak: ${SECONDS} s at ${RATE} msg/s to ${topic} (6 partitions) through one producer and one Consumer Server; ` +
      `${SERVER_KEYS.trim() === "" ? "" : `server ${SERVER_KEYS.replace(/\n/g, ", ")}, handler ${HANDLER_MS} ms; `}warm-up ${WARMUP_SECONDS} s; report every ${REPORT_SECONDS} s; gc ${gc ? "exposed (heap after full GC)" : "not exposed (run with --expose-gc for heap after GC)"}`,
  );
  console.log(`start: rss ${fmt(first.rss)} MB, heap ${fmt(first.heap)} MB, handles ${first.handles} (${first.handleTypes})`);

  let produced = 0;
  let acknowledged = 0;
  let writeErrors = 0;
  let lastWriteError = "";
  let maxLag = 0;
  let behind = false;
  let nextReport = Date.now() + REPORT_SECONDS * 1000;
  const producer = kafka.producer("p1");
  const end = started + SECONDS * 1000;
  const inFlight = new Set<Promise<void>>();

  const report = () => {
    const s = samples[samples.length - 1]!;
    const lag = acknowledged - distinct;
    console.log(
      `${fmt(elapsed(), 0).padStart(5)} s: produced ${produced}, acknowledged ${acknowledged}, handled ${handled} (distinct ${distinct}), lag ${lag}; ` +
        `latency avg ${latencyCount === 0 ? "-" : fmt(latencySum / latencyCount, 0)} ms, max ${latencyMax} ms; ` +
        `rss ${fmt(s.rss)} MB, heap used ${fmt(s.heap)} MB, handles ${s.handles} (${s.handleTypes})`,
    );
    latencySum = 0;
    latencyCount = 0;
    latencyMax = 0;
  };

  // RSS and heap each time another million messages went through the producer and the Consumer Server.
  let nextMillion = 1_000_000;
  const milestones = async () => {
    while (handled >= nextMillion) {
      const s = await sampleNow();
      console.log(
        `after ${nextMillion.toLocaleString("en-US")} messages handled (${acknowledged.toLocaleString("en-US")} written): ` +
          `rss ${fmt(s.rss)} MB, heap used ${fmt(s.heap)} MB${gc ? " (after a full GC)" : ""}, at ${fmt(s.t, 0)} s`,
      );
      nextMillion += 1_000_000;
    }
  };

  // The producer: every tick, whatever is due at RATE since the start, in one writeMessages call. Calls
  // overlap when one takes longer than a tick (at most 4 at a time), so a slow acknowledgement does not
  // lower the rate.
  while (Date.now() < end && serverError === undefined) {
    const due = Math.min(expected - 1_000, Math.floor(((Date.now() - started) / 1000) * RATE));
    if (due > produced && inFlight.size < 4) {
      const from = produced;
      const count = Math.min(due - produced, 2_000);
      produced += count;
      const now = Date.now();
      const write = producer
        .writeMessages(...Array.from({ length: count }, (_, i) => ({ key: String((from + i) % 1000), value: `${from + i} ${now}` })))
        .then(
          () => {
            acknowledged += count;
          },
          (error: unknown) => {
            writeErrors++;
            lastWriteError = String((error as Error).message);
          },
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    }
    if (Date.now() >= nextReport) {
      const lag = acknowledged - distinct;
      maxLag = Math.max(maxLag, lag);
      if (lag > RATE * MAX_LAG_SECONDS) behind = true;
      report();
      nextReport += REPORT_SECONDS * 1000;
    }
    await milestones();
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(inFlight);
  clearInterval(sampler);
  const last = await sampleNow();
  warmup ??= samples[Math.floor(samples.length / 2)];
  console.log(
    `production over after ${fmt(elapsed())} s: produced ${produced}, acknowledged ${acknowledged}, ${writeErrors} failed writes`,
  );

  // Drain: the consumer catches up with what was acknowledged.
  const drainEnd = Date.now() + DRAIN_SECONDS * 1000;
  while (distinct < acknowledged && Date.now() < drainEnd && serverError === undefined)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await milestones();
  report();
  await server.gracefulStop();
  await running;
  await kafka
    .client()
    .deleteTopics(topic)
    .catch(() => undefined);
  await kafka.close();

  // Memory: the slopes after the warm-up, first half against second half.
  const steady = samples.filter((s) => s.t >= warmup!.t && s.t <= last.t);
  const middle = warmup!.t + (last.t - warmup!.t) / 2;
  const halves = [steady.filter((s) => s.t <= middle), steady.filter((s) => s.t >= middle)];
  const slope = (points: Sample[], field: "rss" | "heap") => slopePerMinute(points.map((s) => ({ t: s.t, y: s[field] })));
  const [rss1, rss2] = halves.map((h) => slope(h, "rss")) as [number, number];
  const [heap1, heap2] = halves.map((h) => slope(h, "heap")) as [number, number];
  const secondHalfMinutes = (last.t - middle) / 60;
  const handledPerMinute = RATE * 60;
  const rssLimit = (RSS_BYTES_PER_MESSAGE * handledPerMinute) / MB;
  const heapLimit = (HEAP_BYTES_PER_MESSAGE * handledPerMinute) / MB;
  const rssGrows = rss2 > rssLimit && rss2 * secondHalfMinutes > RSS_MIN_GROWTH_MB;
  const heapGrows = gc !== undefined && heap2 > heapLimit && heap2 * secondHalfMinutes > HEAP_MIN_GROWTH_MB;
  const levelled = rss2 <= Math.max(rssLimit / 4, Math.abs(rss1) / 2) || rss2 * secondHalfMinutes <= RSS_MIN_GROWTH_MB / 2;
  const handlesGrew = last.handles - warmup!.handles > HANDLE_GROWTH_LIMIT;
  const lost = acknowledged - distinct;

  console.log(
    `memory: rss start ${fmt(first.rss)} MB, after warm-up (${fmt(warmup!.t, 0)} s) ${fmt(warmup!.rss)} MB, end ${fmt(last.rss)} MB; ` +
      `heap used start ${fmt(first.heap)} MB, after warm-up ${fmt(warmup!.heap)} MB, end ${fmt(last.heap)} MB`,
  );
  console.log(
    `slopes after the warm-up: rss ${fmt(rss1, 2)} MB/min (first half) → ${fmt(rss2, 2)} MB/min (second half), limit ${fmt(rssLimit, 2)}; ` +
      `heap ${fmt(heap1, 2)} → ${fmt(heap2, 2)} MB/min, limit ${fmt(heapLimit, 2)}${gc ? "" : " (not checked without --expose-gc)"}; ` +
      `memory ${levelled ? "levelled off" : "did not level off"}`,
  );
  console.log(`handles: start ${first.handles}, after warm-up ${warmup!.handles}, end ${last.handles} (${last.handleTypes})`);
  console.log(
    `messages: produced ${produced}, acknowledged ${acknowledged}, handled ${handled}, distinct ${distinct}, duplicates ${handled - distinct}, ` +
      `not handled ${lost}; largest lag at a report ${maxLag} (limit ${RATE * MAX_LAG_SECONDS})`,
  );

  const failures: string[] = [];
  if (serverError !== undefined)
    failures.push(`the Consumer Server failed: ${serverError instanceof Error ? serverError.message : JSON.stringify(serverError)}`);
  if (behind) failures.push(`the consumer fell behind by more than ${MAX_LAG_SECONDS} s of traffic (${maxLag} messages)`);
  if (lost > 0) failures.push(`${lost} acknowledged messages were not handled within ${DRAIN_SECONDS} s after production ended`);
  if (writeErrors > 0) failures.push(`${writeErrors} writes failed, the last with: ${lastWriteError}`);
  if (rssGrows) failures.push(`RSS kept growing: ${fmt(rss2, 2)} MB/min in the second half (limit ${fmt(rssLimit, 2)})`);
  if (heapGrows) failures.push(`the heap kept growing: ${fmt(heap2, 2)} MB/min in the second half (limit ${fmt(heapLimit, 2)})`);
  if (handlesGrew) failures.push(`open handles grew from ${warmup!.handles} to ${last.handles}`);
  console.log(failures.length === 0 ? "soak: OK" : `soak: FAILED\n- ${failures.join("\n- ")}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("soak: crashed:", error);
    process.exit(2);
  },
);
