// Dead letters: with `deadLetterProducer` set, a message whose handler fails for good — an error that is
// not recoverable, or a RecoverableError that outlasts the retries — is written to the dead-letter
// topic with x-ekafka-* headers saying why, its offset is committed, and the server goes on.
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs } from "ekafka/core";
import { load, Message } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

const TOPIC = "ekafka-example-dead-letter";
const DEAD_LETTER_TOPIC = `${TOPIC}${consumerserver.DEAD_LETTER_TOPIC_SUFFIX}`;
const VALUES = ["pay 10", "not a payment", "pay 20", "bank offline", "pay 30"];

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/dead-letter/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);
const app = new App();
let settled = 0; // handled, or given up on (and dead-lettered)

const server = consumerserver
  .load("kafkaConsumerServers.payments")
  .build(consumerserver.withEkafka(kafka), consumerserver.withRetry({ attempts: 2, backoffMs: 50 }));
server.onEachMessage(
  (ctx, message) => {
    if (message.keyString() !== run) return; // an earlier run's message
    const value = message.valueString();
    if (value === "not a payment") throw new Error(`cannot parse "${value}"`); // not recoverable: no retry
    if (value === "bank offline") throw new consumerserver.RecoverableError(`the bank is offline (attempt ${ctx.attempt})`);
    console.log(`paid: ${value}`);
    settle();
  },
  (error, details) => {
    console.log(`onError: ${error.message}${details.retrying ? " — retrying" : " — giving up: to the dead-letter topic"}`);
    if (details.phase === "handle" && !details.retrying) settle();
  },
);

function settle(): void {
  if (++settled === VALUES.length) void app.stop(); // graceful: the last dead-letter write completes first
}

/** Reads this run's dead letters back and prints why each is there. */
async function printDeadLetters(expected: number): Promise<void> {
  const group = kafka.consumerGroup("deadLetters");
  for (let found = 0; found < expected;) {
    const event = await group.poll({ timeoutMs: 30_000 });
    if (!(event instanceof Message)) continue;
    group.storeOffsets(event);
    if (event.keyString() !== run) continue;
    found++;
    const h = consumerserver.DEAD_LETTER_HEADERS;
    console.log(
      `dead letter: "${event.valueString()}" from ${event.header(h.originalTopic)}/${event.header(h.originalPartition)}@${event.header(h.originalOffset)}` +
        ` after ${event.header(h.attempts)} attempt(s): ${event.header(h.error)}`,
    );
  }
}

try {
  const topics = [TOPIC, DEAD_LETTER_TOPIC].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 3 }));
  await kafka.client().createTopics(topics, { ignoreExisting: true });
  // One key per run keeps the messages on one partition, in order.
  await kafka.producer("p1").writeMessages(...VALUES.map((value) => ({ key: run, value })));
  console.log(`wrote ${VALUES.length} payments`);
  await app.serve(server).run();
  await printDeadLetters(2);
} finally {
  await kafka.close();
}
console.log("dead-letter example done");
