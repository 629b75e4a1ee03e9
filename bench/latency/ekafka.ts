import { App } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { benchComponent, benchConfig, groupToml, producerToml } from "../component.js";
import { RUN_ID, TOPIC_PREFIX } from "../settings.js";
import type { LatencyRig } from "./rig.js";

/**
 * ekafka: writeMessages (one message per call) → Consumer Server onEachMessage.
 * @param producerProperties raw librdkafka properties added to the producer (a diagnostic variant)
 */
export function ekafkaLatencyRig(topic: string, producerProperties: Record<string, string> = {}): LatencyRig {
  const extra = Object.entries(producerProperties).map(([name, value]) => `"${name}" = "${value}"`);
  const properties = extra.length === 0 ? "" : `[kafka.producers.latency.properties]\n${extra.join("\n")}\n`;
  const cfg =
    benchConfig(`${producerToml("latency", topic, "none")}${properties}${groupToml("latency", topic, `${TOPIC_PREFIX}latency-server-${RUN_ID}`)}
[kafkaConsumerServers.latency]
consumerGroupName = "latency"
`);
  const kafka = benchComponent("", cfg);
  const producer = kafka.producer("latency");
  const app = new App();
  let running: Promise<void> | undefined;
  return {
    async start(onValue) {
      const server = consumerserver.load("kafkaConsumerServers.latency", cfg).build(consumerserver.withEkafka(kafka));
      server.onEachMessage((_ctx, message) => onValue(message.value!));
      running = app.serve(server).run();
    },
    send: (value) => producer.writeMessages({ value }),
    async stop() {
      await app.stop();
      await running;
      await kafka.close();
    },
  };
}
