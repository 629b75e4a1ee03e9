// onStart: the handler gets a Consumer and owns the loop (Go ekafka's OnStart). It reads until its
// ctx.signal aborts (App stop, SIGTERM) or it decides it is done; when it returns, the server stops, and
// an App whose servers have all stopped finishes.
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs } from "ekafka/core";
import { load } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

const TOPIC = "ekafka-example-on-start";
const COUNT = 4;

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/on-start/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);

const server = consumerserver.load("kafkaConsumerServers.audit").build(consumerserver.withEkafka(kafka));
server.onStart(async (ctx, consumer) => {
  let mine = 0;
  while (mine < COUNT && !ctx.signal.aborted) {
    // readMessage commits as it reads (kafka-go's ReadMessage); the signal ends the wait on a stop.
    const message = await consumer.readMessage({ signal: ctx.signal });
    if (!message.keyString().startsWith(run)) continue; // an earlier run's message
    mine++;
    console.log(`audit: ${message.valueString()} (partition ${message.partition}, offset ${message.offset})`);
  }
  console.log(`audit: read all ${mine} messages of this run; returning stops the server`);
});

try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  await kafka
    .producer("p1")
    .writeMessages(...Array.from({ length: COUNT }, (_, i) => ({ key: `${run}-${i}`, value: `user ${i + 1} logged in` })));
  console.log(`wrote ${COUNT} messages`);
  await new App().serve(server).run(); // resolves when the handler has returned
} finally {
  await kafka.close();
}
console.log("on-start example done");
