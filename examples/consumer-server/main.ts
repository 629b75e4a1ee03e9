// A Consumer Server with onEachMessage: the App runs it; each message's offset is committed only after
// its handler succeeded. The handler fails on one message with a RecoverableError ("the warehouse is
// busy"), so the server waits a moment and calls it again with the same message.
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs } from "ekafka/core";
import { load } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

const TOPIC = "ekafka-example-server";
const COUNT = 5;

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/consumer-server/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);
const app = new App();
let handled = 0;

const server = consumerserver.load("kafkaConsumerServers.stock").build(consumerserver.withEkafka(kafka));
server.onEachMessage(
  async (ctx, message) => {
    const [messageRun, item] = message.keyString().split("/");
    if (messageRun !== run) {
      console.log(`skipping an earlier run's message (offset ${message.offset})`);
      return;
    }
    if (item === "item-3" && ctx.attempt < 3) {
      console.log(`${item}: attempt ${ctx.attempt} failed, the warehouse is busy`);
      throw new consumerserver.RecoverableError("the warehouse is busy");
    }
    console.log(`${item}: reserved ${message.valueString()} (attempt ${ctx.attempt})`);
    // Not awaited: a graceful stop waits for this very handler to finish.
    if (++handled === COUNT) void app.stop();
  },
  (error, details) => console.log(`onError: ${details.phase} ${error.name}: ${error.message} (retrying: ${details.retrying})`),
);

try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  await kafka
    .producer("p1")
    .writeMessages(...Array.from({ length: COUNT }, (_, i) => ({ key: `${run}/item-${i + 1}`, value: `${i + 1} box(es)` })));
  console.log(`wrote ${COUNT} messages; serving until all are handled`);
  await app.serve(server).run(); // resolves once app.stop() (or SIGINT/SIGTERM) has stopped the server
} finally {
  await kafka.close();
}
console.log(`consumer-server example done: ${handled} messages handled`);
