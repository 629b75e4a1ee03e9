import type { Component } from "ekafka";
import { App } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { benchComponent, benchConfig, groupToml } from "../component.js";
import { throughput, type Throughput } from "../result.js";
import { CONSUME_TIMEOUT_MS, freshGroupId } from "../settings.js";
import { HandledCounter } from "./counter.js";

/**
 * Reads `count` messages with a Consumer Server in a new group, each offset stored once handled and
 * committed in the background (at-least-once): `onEachMessage` one message at a time, or `onEachBatch`
 * one batch (of one partition, up to 500 messages) at a time.
 */
export async function consumeWithEkafka(
  topic: string,
  size: number,
  count: number,
  mode: "message" | "batch" = "message",
): Promise<Throughput> {
  const seconds = await runServerUntilCounted(topic, `server-${mode}`, "", count, (server, counter) => {
    if (mode === "message") server.onEachMessage(() => counter.handled());
    else server.onEachBatch((_ctx, batch) => counter.handledMany(batch.messages.length));
  });
  return throughput(count, seconds, size);
}

/**
 * Runs a Consumer Server `kafkaConsumerServers.bench` (its keys `serverKeys`) in an App, in a new group
 * reading `topic` from the start, with the handler `register` gives it, until `count` messages were
 * counted; resolves to the seconds from the first to the last. `register` also gets the server's
 * component (its producers, for handlers that write). `groupKeys` is more TOML after the
 * group's keys: keys of its table (e.g. valueFormat), then other tables.
 */
export async function runServerUntilCounted(
  topic: string,
  purpose: string,
  serverKeys: string,
  count: number,
  register: (server: consumerserver.ConsumerServer, counter: HandledCounter, kafka: Component) => void,
  groupKeys = "",
): Promise<number> {
  const cfg = benchConfig(`${groupToml("bench", topic, freshGroupId(purpose))}${groupKeys}
[kafkaConsumerServers.bench]
consumerGroupName = "bench"
${serverKeys}
`);
  const kafka = benchComponent("", cfg);
  const counter = new HandledCounter(count);
  const app = new App();
  const server = consumerserver.load("kafkaConsumerServers.bench", cfg).build(consumerserver.withEkafka(kafka));
  register(server, counter, kafka);
  const running = app.serve(server).run();
  const stoppedEarly = running.then(() => Promise.reject(new Error(`the App stopped after ${counter.count} of ${count} messages`)));
  try {
    await Promise.race([counter.finished(CONSUME_TIMEOUT_MS), stoppedEarly]);
  } finally {
    await app.stop();
    await running.catch(() => undefined); // a failure was already reported by the race
    await kafka.close();
  }
  return counter.seconds;
}
