// One member of the rolling-restart bench (bench/rolling-restart.ts): a Consumer Server in an App, in its
// own process, until SIGTERM (the App then stops gracefully).
//
// Environment:
//   ROLLING_TOML     the config: [kafka] with consumerGroups.group, and [kafkaConsumerServers.member]
//   ROLLING_SLOW_MS  how long the handler takes for the slow messages (1 in ROLLING_SLOW_EVERY offsets)
// stdout gets one line "<partition> <offset> <ms since epoch>" per message handled; logs go to stderr.
import { App, Config, setLogDestination } from "ekafka/core";
import { load } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";

setLogDestination({ write: (line: string) => process.stderr.write(line) }, { level: "warn" });

const slowMs = Number(process.env.ROLLING_SLOW_MS ?? "0");
const slowEvery = Number(process.env.ROLLING_SLOW_EVERY ?? "100");
const cfg = new Config().loadString(process.env.ROLLING_TOML ?? "", "$ROLLING_TOML");
const kafka = load("kafka", cfg).build();
const server = consumerserver.load("kafkaConsumerServers.member", cfg).build(consumerserver.withEkafka(kafka));

server.onEachMessage(async (_ctx, message) => {
  if (message.offset % slowEvery === slowEvery - 1) await new Promise((resolve) => setTimeout(resolve, slowMs));
  process.stdout.write(`${message.partition} ${message.offset} ${Date.now()}\n`);
});

let code = 0;
try {
  await new App({ stopTimeoutMs: 30_000 }).serve(server).run();
} catch (error) {
  process.stderr.write(`failed ${(error as Error).message}\n`);
  code = 1;
}
await kafka.close();
process.exit(code);
