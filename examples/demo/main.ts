// `make demo`: a producer and a Consumer Server App side by side on the local cluster, with a live line
// every second — produced/s, consumed/s, lag, end-to-end latency p50/p99, errors. Runs until Ctrl-C, or
// for DEMO_SECONDS seconds, then waits for the consumer to catch up and prints what added up.
// DEMO_RATE sets the messages written per second (default 5000; 0: as fast as the cluster takes them).
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs, governor, setLogLevel } from "ekafka/core";
import { load, type PartitionOffset } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import { Counters } from "./counters.js";
import { Latencies } from "./latencies.js";
import { generateLoad } from "./load-generator.js";
import { Positions } from "./positions.js";

const TOPIC = "ekafka-demo";
// How long the consumer may take to catch up after the load stops; a backlog an earlier run left
// behind is read first, so this is generous.
const DRAIN_MS = 30_000;
const seconds = Number(process.env.DEMO_SECONDS ?? 0);
const rate = Number(process.env.DEMO_RATE ?? 5000);

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/demo/config.toml", import.meta.url)));
setLogLevel("warn"); // the live line is the output; warnings and errors still show
const kafka = load("kafka").build();
const counters = new Counters();
const positions = new Positions();
const latencies = new Latencies();
// No signal handling in the App: Ctrl-C first stops the load and lets the consumer catch up.
const app = new App({ signals: [] });
const stopLoad = new AbortController();

const server = consumerserver.load("kafkaConsumerServers.demo").build(consumerserver.withEkafka(kafka));
// The governor serves metrics, probes and debug pages next to the server, as in production.
const gov = governor.load("server.governor").build();
server.onEachMessage(
  (_ctx, message) => {
    if (!positions.handled(message)) return; // written before this run started
    counters.consumed++;
    latencies.record(Date.now() - message.time.getTime());
  },
  () => {
    counters.errors++;
  },
);

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** The topic's end offsets; a topic just created may need a moment before its partitions have leaders. */
async function endOffsets(): Promise<PartitionOffset[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await kafka.client().listOffsets(TOPIC, "latest");
    } catch (error) {
      if (attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Prints the live line every second; returns the function that stops it. */
function startLiveLine(): () => void {
  const started = performance.now();
  const timer = setInterval(() => {
    void positions.lag(kafka.client(), TOPIC).then((lag) => {
      const { produced, consumed } = counters.rates();
      const latency = latencies.takeSecond();
      const elapsed = Math.round((performance.now() - started) / 1000);
      // The governor's address is printed once at start, so the live line stays one fixed shape.
      const parts = [
        `[${String(elapsed).padStart(4)}s] produced ${fmt(produced)}/s`,
        `consumed ${fmt(consumed)}/s`,
        `lag ${lag < 0 ? "?" : fmt(lag)}`,
        `latency p50 ${latency === undefined ? "-" : `${fmt(latency.p50)} ms`} p99 ${latency === undefined ? "-" : `${fmt(latency.p99)} ms`}`,
        `errors ${counters.errors}`,
      ];
      console.log(parts.join("  "));
    });
  }, 1000);
  return () => clearInterval(timer);
}

/** Resolves after DEMO_SECONDS, or on Ctrl-C / SIGTERM (a second one exits at once). */
function stopRequested(): Promise<void> {
  if (seconds > 0) return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return new Promise((resolve) => {
    const onSignal = () => {
      resolve();
      process.once("SIGINT", () => process.exit(130)).once("SIGTERM", () => process.exit(143));
    };
    process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  });
}

/** Stops the load, waits (briefly) for the consumer to catch up, then stops the App. */
async function stopWhenAsked(load: Promise<void>): Promise<void> {
  await stopRequested();
  stopLoad.abort();
  await load;
  const deadline = Date.now() + DRAIN_MS;
  while (counters.consumed < counters.produced && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  await app.stop();
}

try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, config: { "retention.ms": "600000" } }], {
    ignoreExisting: true,
  });
  // Recorded before anything is written: what the group reads before these offsets is not this run's.
  positions.recordStart(await endOffsets());
  console.log(
    `demo: writing ${rate > 0 ? `${fmt(rate)} messages/s` : "as fast as possible"} to ${TOPIC}; ${seconds > 0 ? `${seconds} s` : "Ctrl-C to stop"}`,
  );
  await gov.init(); // listens now, so the address can be printed before the live lines
  console.log(`demo: governor on ${gov.url}: /metrics /readyz /livez /debug/servers /debug/config`);
  const stopLine = startLiveLine();
  const running = app.serve(gov, server).run();
  const load = generateLoad(kafka.producer("load"), rate, counters, stopLoad.signal);
  await Promise.all([running, load, stopWhenAsked(load)]);
  stopLine();
} finally {
  stopLoad.abort();
  await kafka.close();
}
const lost = counters.produced - counters.consumed;
console.log(
  `demo done: ${fmt(counters.produced)} produced, ${fmt(counters.consumed)} consumed, ${lost >= 0 ? `${fmt(lost)} lost` : `${fmt(-lost)} more consumed than produced`}, ${counters.errors} errors`,
);
if (lost !== 0) process.exitCode = 1;
