import { App } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { benchComponent, benchConfig, groupToml } from "../component.js";
import { throughput, type Throughput } from "../result.js";
import { CONSUME_TIMEOUT_MS, RUN_ID, TOPIC_PREFIX } from "../settings.js";
import { HandledCounter } from "./counter.js";

/**
 * Reads `count` messages with a Consumer Server's onEachMessage in a new group: one message at a time,
 * each offset stored after its handler resolved and committed in the background (at-least-once).
 */
export async function consumeWithEkafka(topic: string, size: number, count: number): Promise<Throughput> {
  const cfg = benchConfig(`${groupToml("bench", topic, `${TOPIC_PREFIX}server-${RUN_ID}`)}
[kafkaConsumerServers.bench]
consumerGroupName = "bench"
`);
  const kafka = benchComponent("", cfg);
  const counter = new HandledCounter(count);
  const app = new App();
  const server = consumerserver.load("kafkaConsumerServers.bench", cfg).build(consumerserver.withEkafka(kafka));
  server.onEachMessage(() => counter.handled());
  const running = app.serve(server).run();
  const stoppedEarly = running.then(() => Promise.reject(new Error(`the App stopped after ${counter.count} of ${count} messages`)));
  try {
    await Promise.race([counter.finished(CONSUME_TIMEOUT_MS), stoppedEarly]);
  } finally {
    await app.stop();
    await running.catch(() => undefined); // a failure was already reported by the race
    await kafka.close();
  }
  return throughput(count, counter.seconds, size);
}
