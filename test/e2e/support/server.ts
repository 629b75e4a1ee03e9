// A Consumer Server `s1` running in the test's process: what its handler saw, the partitions it owns
// (from its own "partitions assigned/revoked" log lines), and a graceful stop that also closes its
// component.
import type { Config } from "ekafka/core";
import { load, withLogger, type Component, type Message } from "ekafka";
import * as consumerserver from "ekafka/consumerserver";
import type { MessageContext } from "ekafka/consumerserver";
import { collectingLogger } from "./logs.js";

/** One message the handler finished, with its context and the time it finished. */
export interface Handled {
  message: Message;
  ctx: MessageContext;
  at: number;
}

/** See {@link startServer}. */
export interface RunningServer {
  kafka: Component;
  handled: Handled[];
  /** The messages of {@link handled}, in order. */
  messages(): Message[];
  /** The server's and its component's log lines (pino JSON, info and up). */
  logLines: string[];
  /** The partitions it owns now. */
  owned(): Set<number>;
  /** How many times partitions were assigned to it / revoked from it. */
  assignments(): number;
  revocations(): number;
  /** The error the server stopped with, if it did. */
  failure(): unknown;
  /** Stops gracefully (commits, leaves the group), then closes the component. */
  stop(): Promise<void>;
}

/**
 * Builds the component at `[kafka]` of `cfg` and server `kafkaConsumerServers.s1` on it, and starts the
 * server with `handle` (default: record only); a message counts as handled once `handle` returned.
 */
export function startServer(cfg: Config, handle?: (ctx: MessageContext, message: Message) => void | Promise<void>): RunningServer {
  const logLines: string[] = [];
  const logger = collectingLogger(logLines);
  // The component's own lines (a commit on revocation that failed, say) go with the server's.
  const kafka = load("kafka", cfg).build(withLogger(logger));
  const server = consumerserver
    .load("kafkaConsumerServers.s1", cfg)
    .build(consumerserver.withEkafka(kafka), consumerserver.withLogger(logger));
  const handled: Handled[] = [];
  server.onEachMessage(async (ctx, message) => {
    await handle?.(ctx, message);
    handled.push({ message, ctx, at: Date.now() });
  });
  let failure: unknown;
  const running = server.start().catch((error: unknown) => {
    failure ??= error;
  });
  const owned = (): Set<number> => {
    const set = new Set<number>();
    for (const line of logLines) {
      const entry = JSON.parse(line) as { msg?: string; partitions?: Array<{ partition: number }> };
      if (entry.msg === "partitions assigned") for (const p of entry.partitions ?? []) set.add(p.partition);
      if (entry.msg === "partitions revoked") for (const p of entry.partitions ?? []) set.delete(p.partition);
    }
    return set;
  };
  const count = (msg: string) => logLines.filter((l) => l.includes(`"msg":"${msg}"`)).length;
  return {
    kafka,
    handled,
    messages: () => handled.map((h) => h.message),
    logLines,
    owned,
    assignments: () => count("partitions assigned"),
    revocations: () => count("partitions revoked"),
    failure: () => failure,
    async stop() {
      try {
        await server.gracefulStop();
        await running;
      } finally {
        await kafka.close();
      }
    },
  };
}
