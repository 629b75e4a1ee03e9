// A Consumer Server `s1` on the consumer group `cg1`, run in an App, for the interop tests.
import type { Component, Message } from "ekafka";
import { App } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import type { MessageContext } from "ekafka/consumerserver";
import { e2eConfig, FAST_GROUP } from "../../e2e/support/component.js";
import { load } from "ekafka";

/** The `[kafka]` and `[kafkaConsumerServers.s1]` TOML of a server reading `topic` in group `groupID`. */
export function serverToml(topic: string, groupID: string, extra = ""): string {
  return `
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
[kafka.consumerGroups.cg1]
topic = "${topic}"
groupID = "${groupID}"
${FAST_GROUP}
${extra}
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
`;
}

/** A running Consumer Server: what its handler saw, and stop() for a graceful stop (commit, leave). */
export interface RunningServer {
  kafka: Component;
  handled: Message[];
  contexts: MessageContext[];
  stop(): Promise<void>;
}

/** Builds the component and server of {@link serverToml} and runs it with `handle` (default: record only). */
export function startServer(toml: string, handle?: (ctx: MessageContext, message: Message) => void | Promise<void>): RunningServer {
  const cfg = e2eConfig(toml);
  const kafka = load("kafka", cfg).build();
  const server = consumerserver.load("kafkaConsumerServers.s1", cfg).build(consumerserver.withEkafka(kafka));
  const handled: Message[] = [];
  const contexts: MessageContext[] = [];
  server.onEachMessage(async (ctx, message) => {
    await handle?.(ctx, message);
    contexts.push(ctx);
    handled.push(message);
  });
  const app = new App({ stopTimeoutMs: 20_000 }).serve(server);
  const running = app.run();
  return {
    kafka,
    handled,
    contexts,
    stop: async () => {
      try {
        await app.stop();
        await running;
      } finally {
        await kafka.close();
      }
    },
  };
}

/** Polls `condition` every 20 ms; rejects naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
