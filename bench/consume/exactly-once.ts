import type { Component } from "ekafka";
import { producerToml } from "../component.js";
import { throughput, type Throughput } from "../result.js";
import { runServerUntilCounted } from "./ekafka.js";
import { RUN_ID } from "../settings.js";

/** How the consume-transform-produce server keeps its output and its progress. */
export type CopyMode = "at-least-once" | "exactly-once";

/**
 * The producer table of the copy's output. At-least-once: a plain producer with `async = true`, whose
 * writes resolve once queued as writes inside a transaction do (awaiting each acknowledgement one
 * message at a time would measure the round trip, not the copy). Exactly-once: a transactional producer
 * (acks=all and idempotence, as transactions require), named by the server's `transactionalProducer`.
 */
function outputToml(mode: CopyMode, output: string): string {
  const base = producerToml("out", output, "none");
  return mode === "exactly-once" ? `${base}transactionalID = "ekafka-bench-eos-${RUN_ID}"\n` : `${base}async = true\n`;
}

/**
 * Copies `count` messages of `size` bytes from `input` to `output` with a Consumer Server `onEachMessage`
 * in a new group, each message written to the output by the handler: at-least-once through a plain
 * producer (offsets stored after handling, committed in the background), or exactly-once through
 * `transactionalProducer` (`ctx.producer`, the default transactionInterval). Timed from the first message
 * handled to the last.
 */
export async function copyWithEkafka(mode: CopyMode, input: string, output: string, size: number, count: number): Promise<Throughput> {
  const serverKeys = mode === "exactly-once" ? 'transactionalProducer = "out"' : "";
  const seconds = await runServerUntilCounted(
    input,
    `copy-${mode}`,
    serverKeys,
    count,
    (server, counter, kafka: Component) => {
      const plain = mode === "at-least-once" ? kafka.producer("out") : undefined;
      server.onEachMessage(async (ctx, message) => {
        await (ctx.producer ?? plain!).writeMessages({ value: message.value ?? "" });
        counter.handled();
      });
    },
    outputToml(mode, output),
  );
  return throughput(count, seconds, size);
}
