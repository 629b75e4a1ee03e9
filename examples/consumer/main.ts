// Writes five messages, then reads them back with a consumer in a group: fetchMessage hands out the
// next message, commitMessages records it as done, so a restart goes on after it.
import { fileURLToPath } from "node:url";
import { config, configPathFromArgs } from "ekafka/core";
import { load } from "ekafka";

const TOPIC = "ekafka-example-consumer";
const COUNT = 5;

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/consumer/config.toml", import.meta.url)));
const kafka = load("kafka").build();
// Tells this run's messages apart from ones an earlier, interrupted run left uncommitted.
const run = Date.now().toString(36);

try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  await kafka
    .producer("p1")
    .writeMessages(...Array.from({ length: COUNT }, (_, i) => ({ key: `${run}-${i}`, value: `message ${i + 1} of run ${run}` })));
  console.log(`wrote ${COUNT} messages (run ${run})`);

  const consumer = kafka.consumer("c1");
  let mine = 0;
  while (mine < COUNT) {
    const message = await consumer.fetchMessage({ timeoutMs: 30_000 });
    if (message.keyString().startsWith(`${run}-`)) {
      mine++;
      console.log(
        `read partition=${message.partition} offset=${message.offset} key=${message.keyString()} value="${message.valueString()}"`,
      );
    } else {
      console.log(`skipped a message of an earlier run (partition=${message.partition} offset=${message.offset})`);
    }
    await consumer.commitMessages(message);
  }
  console.log(`lag after reading: ${consumer.lag()} (from the last fetch), ${await consumer.readLag()} (asked the brokers)`);
} finally {
  await kafka.close(); // commits what is left, leaves the group
}
console.log("consumer example done");
