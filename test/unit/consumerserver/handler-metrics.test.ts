import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { MessageDelivery } from "../../../consumerserver/context.js";
import { movingOnFailure } from "../../../consumerserver/move-on-failure.js";
import { retryTierSettings } from "../../../consumerserver/retry-tiers/settings.js";
import { decodeConsumerServerConfig } from "../../../consumerserver/config.js";
import { HandlerMetrics } from "../../../consumerserver/handler-metrics.js";
import { RecoverableError, retryPolicy } from "../../../consumerserver/index.js";
import { chain } from "../../../consumerserver/delivery.js";
import { callHandler, retrying } from "../../../consumerserver/middleware.js";
import { Message } from "../../../src/message.js";

const silent = pino({ level: "silent" });
const delivery = (key: string) =>
  new MessageDelivery(
    new Message({ topic: "orders", partition: 0, offset: 1, key: Buffer.from(key), value: Buffer.from("v") }),
    new AbortController().signal,
    silent,
  );

async function counts(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("ekafka_consumerserver_handled_total")!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
}

describe("HandlerMetrics", () => {
  it("counts ok, retried, retry_tier, dead_lettered and failed as the deciding step set them, times each call and keeps the in-flight count", async () => {
    const registry = new Registry();
    const metrics = new HandlerMetrics("s1", registry);
    const calls = new Map<string, number>();
    let inFlightSeen = -1;
    const handler = callHandler((_ctx, message) => {
      const key = message.key!.toString();
      calls.set(key, (calls.get(key) ?? 0) + 1);
      inFlightSeen = metrics.inFlight;
      if (key === "retry" && calls.get(key) === 1) throw new RecoverableError("again");
      if (key === "dead" || key === "fail") throw new Error("no");
      if (key === "tier") throw new RecoverableError("later");
    });
    const report = () => undefined;
    const writer = { writeMessages: async () => undefined };
    const deadLetter = { writer, topicOf: () => undefined };
    const parking = chain(
      handler,
      metrics.outer,
      movingOnFailure({ deadLetter }, report),
      retrying(retryPolicy({ backoffMs: 0 }), report),
      metrics.inner,
    );
    const settings = retryTierSettings(decodeConsumerServerConfig({ retryDelays: ["1s"] }, "s1"), "s1")!;
    const tiers = {
      settings,
      retryWriter: writer,
      retryTopic: (topic: string, n: number) => `${topic}.retry.${n}`,
      retryPartition: () => undefined,
    };
    const tiering = chain(
      handler,
      metrics.outer,
      movingOnFailure({ tiers, deadLetter }, report),
      retrying(retryPolicy({ attempts: 0 }), report),
      metrics.inner,
    );
    const stopping = chain(handler, metrics.outer, retrying(retryPolicy({ backoffMs: 0 }), report), metrics.inner);

    await parking(delivery("ok"));
    await parking(delivery("retry"));
    await parking(delivery("dead"));
    await tiering(delivery("tier"));
    await expect(stopping(delivery("fail"))).rejects.toThrow("no");

    // A move to a retry tier is not a dead letter.
    expect(await counts(registry)).toEqual({ ok: 2, retried: 1, retry_tier: 1, dead_lettered: 1, failed: 1 });
    expect(inFlightSeen).toBe(1);
    expect(metrics.inFlight).toBe(0);
    // One observation per call: ok 1, retry 2, dead 1, tier 1, fail 1.
    expect(await registry.getSingleMetricAsString("ekafka_consumerserver_handler_seconds")).toContain(
      'ekafka_consumerserver_handler_seconds_count{server="s1",topic="orders"} 6',
    );
  });

  it("exports the messages waiting for their turn as the engine tells them, per server", async () => {
    const registry = new Registry();
    const metrics = new HandlerMetrics("s2", registry);
    let waiting = 7;
    metrics.countWaiting(() => waiting);
    expect(await registry.getSingleMetricAsString("ekafka_consumerserver_waiting_messages")).toContain(
      'ekafka_consumerserver_waiting_messages{server="s2"} 7',
    );
    waiting = 0;
    expect(await registry.getSingleMetricAsString("ekafka_consumerserver_waiting_messages")).toContain(
      'ekafka_consumerserver_waiting_messages{server="s2"} 0',
    );
  });
});
