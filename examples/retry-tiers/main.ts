// Retry tiers: with `retryDelays`, a message whose handler fails with a RecoverableError is moved to a
// retry topic and the partition goes on; the same server reads it back once due. A message that fails
// in every tier ends on the dead-letter topic with one header per attempt; `replayDeadLetters` moves it
// back to its topic once the cause is fixed, and a second server handles it.
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs } from "ekafka/core";
import { load, Message, type Component } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

const TOPIC = "ekafka-example-retry-tiers";
const DEAD_LETTER_TOPIC = `${TOPIC}${consumerserver.DEAD_LETTER_TOPIC_SUFFIX}`;
const ORDERS = ["order 1", "order 2", "order 3", "order 4", "order 5"];

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/retry-tiers/config.toml", import.meta.url)));
const run = Date.now().toString(36); // this run's key: earlier runs' messages are passed over
const mine = (message: Message) => message.keyString() === run;

/** Runs a server on `kafka` until `done` says so; `handle` sees this run's messages only. */
async function serve(
  kafka: Component,
  handle: (ctx: consumerserver.MessageContext, message: Message) => void,
  done: () => boolean,
): Promise<void> {
  const app = new App();
  // No in-place retries: every failure goes to the next tier at once.
  const server = consumerserver
    .load("kafkaConsumerServers.orders")
    .build(consumerserver.withEkafka(kafka), consumerserver.withRetry({ attempts: 0 }));
  server.onEachMessage((ctx, message) => {
    if (!mine(message)) return;
    handle(ctx, message);
  });
  const watch = setInterval(() => {
    if (done()) void app.stop();
  }, 50);
  try {
    await app.serve(server).run();
  } finally {
    clearInterval(watch);
  }
}

/** Reads the dead-letter topic until this run's dead letter shows up, and prints its attempts. */
async function printDeadLetter(kafka: Component): Promise<void> {
  const group = kafka.consumerGroup("deadLetters");
  for (;;) {
    const event = await group.poll({ timeoutMs: 30_000 });
    if (!(event instanceof Message)) continue;
    group.storeOffsets(event);
    if (!mine(event)) continue;
    const h = consumerserver.RETRY_TIER_HEADERS;
    console.log(`dead letter: "${event.valueString()}" after ${event.header(h.attempts)} attempts, last tier ${event.header(h.tier)}`);
    for (const header of event.headers.filter((x) => x.key.startsWith(h.attemptPrefix)))
      console.log(`  ${header.key}: ${header.value.toString()}`);
    return;
  }
}

const kafka = load("kafka").build();
try {
  // The server creates its retry topics; the dead-letter topic is made here so the inspector can subscribe first.
  await kafka.client().createTopics(
    [TOPIC, DEAD_LETTER_TOPIC].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 3 })),
    { ignoreExisting: true },
  );
  await kafka.producer("orders").writeMessages(...ORDERS.map((value) => ({ key: run, value })));
  console.log(`wrote ${ORDERS.length} orders`);

  const handled: string[] = [];
  let order4Calls = 0;
  await serve(
    kafka,
    (ctx, message) => {
      const value = message.valueString();
      if (value === "order 2" && ctx.attempt < 3) throw new consumerserver.RecoverableError(`stock service busy (attempt ${ctx.attempt})`);
      if (value === "order 4") {
        order4Calls++;
        throw new consumerserver.RecoverableError(`payment service down (attempt ${ctx.attempt})`);
      }
      console.log(`handled: ${value} (attempt ${ctx.attempt}, read from ${message.topic})`);
      handled.push(value);
    },
    // A graceful stop lets the last failure's write to the dead-letter topic finish.
    () => handled.length === 4 && order4Calls === 3,
  );
  await printDeadLetter(kafka);
} finally {
  await kafka.close();
}

// The payment service is back: move the dead letter back to its topic and handle it.
const second = load("kafka").build();
try {
  const { replayed, skipped } = await consumerserver.replayDeadLetters(second, {
    from: DEAD_LETTER_TOPIC,
    producer: "retry",
    consumerGroupName: "orders",
    filter: mine,
  });
  console.log(`replayed ${replayed} dead letter(s) to ${TOPIC} (passed over ${skipped} of earlier runs)`);
  let replayedHandled = false;
  await serve(
    second,
    (_ctx, message) => {
      console.log(`handled: ${message.valueString()} (replayed from ${message.header(consumerserver.REPLAYED_FROM_HEADER)})`);
      replayedHandled = true;
    },
    () => replayedHandled,
  );
} finally {
  await second.close();
}
console.log("retry-tiers example done");
