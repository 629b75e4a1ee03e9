import { Message } from "ekafka";
import { benchComponent, groupToml } from "../component.js";
import { throughput, type Throughput } from "../result.js";
import { CONSUME_TIMEOUT_MS, freshGroupId } from "../settings.js";
import { HandledCounter } from "./counter.js";

/**
 * A diagnostic, not a contender: the ConsumerGroup underneath the Consumer Server, polled in a plain loop
 * with storeOffsets after each message. The gap between this and the Consumer Server is the server's own
 * cost; the gap between this and the raw loop is the reader's.
 */
export async function consumeWithEkafkaPoll(topic: string, size: number, count: number): Promise<Throughput> {
  const kafka = benchComponent(groupToml("poll", topic, freshGroupId("poll")));
  const group = kafka.consumerGroup("poll");
  const counter = new HandledCounter(count);
  const deadline = Date.now() + CONSUME_TIMEOUT_MS;
  try {
    while (counter.count < count) {
      const event = await group.poll({ timeoutMs: Math.max(1, deadline - Date.now()) });
      if (!(event instanceof Message)) continue;
      counter.handled();
      group.storeOffsets(event);
    }
  } finally {
    await kafka.close();
  }
  return throughput(count, counter.seconds, size);
}
