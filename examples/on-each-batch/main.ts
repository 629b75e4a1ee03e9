// onEachBatch: the handler gets the messages of one partition in offset order, up to batchSize at a
// time, and marks its progress with batch.resolve(message): what is resolved is committed even when the
// handler fails later, and a retry gets only the messages not resolved yet.
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs } from "ekafka/core";
import { load } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

const TOPIC = "ekafka-example-on-each-batch";
const ROWS = 120;

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/on-each-batch/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);
const app = new App();
const saved: number[] = [];
let failedOnce = false;

const server = consumerserver
  .load("kafkaConsumerServers.rows")
  .build(consumerserver.withEkafka(kafka), consumerserver.withRetry({ attempts: 2, backoffMs: 50 }));
server.onEachBatch(
  async (ctx, batch) => {
    const mine = batch.messages.filter((message) => message.keyString() === run); // earlier runs' rows are skipped
    console.log(`batch of ${batch.messages.length} from partition ${batch.partition} (attempt ${ctx.attempt})`);
    for (const message of mine) {
      const row = Number(message.valueString());
      // The database is briefly busy once, half-way: what was resolved before stays committed, and the
      // retry starts at this row.
      if (row === ROWS / 2 && !failedOnce) {
        failedOnce = true;
        throw new consumerserver.RecoverableError(`database busy at row ${row}`);
      }
      saved.push(row);
      batch.resolve(message);
    }
    if (saved.length === ROWS) void app.stop();
  },
  (error, details) => console.log(`onError: ${error.message}${details.retrying ? " — retrying the rest of the batch" : ""}`),
);

try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  await kafka.producer("p1").writeMessages(...Array.from({ length: ROWS }, (_, row) => ({ key: run, value: String(row) })));
  console.log(`wrote ${ROWS} rows`);
  await app.serve(server).run();
} finally {
  await kafka.close();
}
const inOrder = saved.every((row, index) => row === index);
console.log(`on-each-batch example done: ${saved.length} rows saved${inOrder ? ", in order, each once" : ", NOT in order"}`);
