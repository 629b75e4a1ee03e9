// onConsumerGroupStart: the handler gets a ConsumerGroup and polls it itself (Go ekafka's
// OnConsumerGroupStart), seeing assignments and revocations as well as messages. Here it sums a metric
// per partition; once all samples are read the App is stopped from outside, as SIGTERM would stop it.
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs } from "ekafka/core";
import { AssignedPartitions, load, Message, RevokedPartitions } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

const TOPIC = "ekafka-example-on-group-start";
const COUNT = 9;

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/on-consumer-group-start/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);
const app = new App();
const totals = new Map<number, number>();
let mine = 0;

const server = consumerserver.load("kafkaConsumerServers.metrics").build(consumerserver.withEkafka(kafka));
server.onConsumerGroupStart(async (ctx, group) => {
  for (;;) {
    // On a stop the signal aborts and poll rejects with it; the server treats that as a clean stop.
    const event = await group.poll({ signal: ctx.signal });
    if (event instanceof AssignedPartitions) console.log(`metrics: assigned ${event.partitions.map((p) => p.partition).join(",")}`);
    else if (event instanceof RevokedPartitions) console.log(`metrics: revoked ${event.partitions.map((p) => p.partition).join(",")}`);
    else if (event instanceof Message) {
      if (event.keyString().startsWith(run)) {
        totals.set(event.partition, (totals.get(event.partition) ?? 0) + Number(event.valueString()));
        if (++mine === COUNT) console.log(`metrics: all ${COUNT} samples read`);
      }
      group.storeOffsets(event); // committed in the background (commitInterval), on revoke and on stop
    } else console.log(`metrics: error ${event.message}`);
  }
});

/** Stops the App once every sample is read (or after 20 s): the handler's signal aborts and it returns. */
async function stopWhenRead(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (mine < COUNT && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await app.stop();
}

try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  await kafka.producer("p1").writeMessages(...Array.from({ length: COUNT }, (_, i) => ({ key: `${run}-${i}`, value: String(i + 1) })));
  console.log(`wrote ${COUNT} samples`);
  await Promise.all([app.serve(server).run(), stopWhenRead()]);
} finally {
  await kafka.close();
}
for (const [partition, total] of [...totals].sort(([a], [b]) => a - b)) console.log(`partition ${partition}: total ${total}`);
console.log(`on-consumer-group-start example done: sum ${[...totals.values()].reduce((a, b) => a + b, 0)}`);
