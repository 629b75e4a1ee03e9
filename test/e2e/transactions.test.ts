// Transactional producer (transactionalID) on the real cluster: commit on resolve, abort on throw, the
// consumed offsets committed with the writes, fencing by a second instance with the same id.
import { describe, expect, it } from "vitest";
import { ConfigError } from "ekafka/core";
import { KafkaError, type Message } from "ekafka";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { uniqueName } from "./support/env.js";
import { committed } from "./support/group.js";
import { createTopic, fillTopic } from "./support/raw.js";
import { readWhole } from "./support/transactions.js";

const { build: component } = componentsClosedAfterEach();

const values = (messages: ReadonlyArray<{ value: Buffer | null | undefined }>) => messages.map((m) => m.value?.toString()).sort();

describe("Producer.transaction", () => {
  it("commits the writes when the function resolves and aborts them when it throws", async () => {
    const topic = uniqueName("e2e-txn");
    await createTopic(topic, 3, 3);
    const kafka = component(`
[kafka.producers.tx]
topic = "${topic}"
transactionalID = "${uniqueName("txid")}"
`);
    const producer = kafka.producer("tx");
    await producer.transaction(async (tx) => {
      await tx.writeMessages({ value: "kept-1" }, { value: "kept-2" });
    });
    const thrown = new Error("handler failed");
    await expect(
      producer.transaction(async (tx) => {
        await tx.writeMessages({ value: "aborted-1" });
        await producer.writeMessages({ value: "aborted-2" }); // the producer's own writes join the open transaction
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    await producer.transaction(async (tx) => tx.writeMessages({ value: "kept-3" }));

    expect(values(await readWhole(topic, 3, "read_committed"))).toEqual(["kept-1", "kept-2", "kept-3"]);
    expect(values(await readWhole(topic, 3, "read_uncommitted"))).toEqual(["aborted-1", "aborted-2", "kept-1", "kept-2", "kept-3"]);
  });

  it("commits the consumed offsets (the next one to read) with the writes, and neither when aborted", async () => {
    const input = uniqueName("e2e-txn-in");
    const output = uniqueName("e2e-txn-out");
    const groupID = uniqueName("e2e-txn-group");
    await createTopic(input, 1, 3);
    await createTopic(output, 1, 3);
    await fillTopic(
      input,
      Array.from({ length: 4 }, (_, i) => `m${i}`),
    );
    const kafka = component(`
[kafka.producers.tx]
topic = "${output}"
transactionalID = "${uniqueName("txid")}"
[kafka.consumerGroups.g]
groupID = "${groupID}"
topic = "${input}"
startOffset = -2
${FAST_GROUP}
`);
    const group = kafka.consumerGroup("g");
    const producer = kafka.producer("tx");
    const read: Message[] = [];
    while (read.length < 4) {
      const event = await group.pollBatch({ timeoutMs: 30_000 });
      if (Array.isArray(event)) read.push(...event);
    }
    await expect(
      producer.transaction(async (tx) => {
        await tx.writeMessages({ value: "from-m3" });
        await tx.sendOffsets(group, [read[3]!]);
        throw new Error("aborted");
      }),
    ).rejects.toThrow("aborted");
    expect(await committed(kafka, groupID, input, 0)).toBeLessThan(0);

    await producer.transaction(async (tx) => {
      await tx.writeMessages(...read.slice(0, 2).map((m) => ({ value: `from-${m.value!.toString()}` })));
      await tx.sendOffsets(group, read.slice(0, 2));
    });
    // Offset 1 was the last handled: the group resumes at 2, not at 1 (which would be handled twice).
    expect(await committed(kafka, groupID, input, 0)).toBe(2);
    expect(values(await readWhole(output, 1, "read_committed"))).toEqual(["from-m0", "from-m1"]);
  });

  it("fails a producer fenced by a second instance with the same transactionalID, naming transactionalID", async () => {
    const topic = uniqueName("e2e-txn-fence");
    await createTopic(topic, 1, 3);
    const id = uniqueName("txid");
    const entry = `topic = "${topic}"\ntransactionalID = "${id}"\n`;
    const first = component(`[kafka.producers.tx]\n${entry}`).producer("tx");
    const second = component(`[kafka.producers.tx]\n${entry}`).producer("tx");
    await first.transaction(async (tx) => tx.writeMessages({ value: "first" }));
    await second.transaction(async (tx) => tx.writeMessages({ value: "second" }));

    const fenced = await first.transaction(async (tx) => tx.writeMessages({ value: "stale" })).catch((error: unknown) => error);
    expect(fenced).toBeInstanceOf(KafkaError);
    expect((fenced as KafkaError).fatal).toBe(true);
    expect((fenced as KafkaError).message).toContain("transactionalID");
    expect((fenced as KafkaError).message).toContain(id);
    // Fenced for good: the next transaction fails at once with the same error.
    await expect(first.transaction(async () => undefined)).rejects.toBe(fenced);
    expect(values(await readWhole(topic, 1, "read_committed"))).toEqual(["first", "second"]);
  });

  it("refuses transaction() on a producer without transactionalID, and a plain write on one with it", async () => {
    const topic = uniqueName("e2e-txn-plain");
    const kafka = component(`
[kafka.producers.plain]
topic = "${topic}"
[kafka.producers.tx]
topic = "${topic}"
transactionalID = "${uniqueName("txid")}"
`);
    const error = await kafka
      .producer("plain")
      .transaction(async () => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("kafka.producers.plain.transactionalID");
    await expect(kafka.producer("tx").writeMessages({ value: "x" })).rejects.toThrow(
      /kafka\.producers\.tx: WriteMessages outside a transaction/,
    );
  });
});
