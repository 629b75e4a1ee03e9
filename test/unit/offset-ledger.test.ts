import { describe, expect, it } from "vitest";
import { KafkaError } from "../../src/errors.js";
import { Message } from "../../src/message.js";
import { OffsetLedger, type CommittedOffset, type OffsetPort, type PartitionOffset } from "../../src/offset-ledger.js";

const NO_OFFSET = -168;
const msg = (topic: string, partition: number, offset: number) => new Message({ topic, partition, offset });

/** A port that writes down the native calls; `committed` answers from what was committed. */
function recordingPort(
  options: { storeThrows?: boolean; commitError?: { code: number; message: string }; coordinatorLags?: boolean } = {},
) {
  const stores: PartitionOffset[][] = [];
  const commits: Array<PartitionOffset[] | null> = [];
  const committed = new Map<string, number>();
  const port: OffsetPort = {
    store: (offsets) => {
      if (options.storeThrows) throw new Error("Local: Erroneous state");
      stores.push(offsets);
    },
    commit: async (offsets) => {
      commits.push(offsets);
      if (options.commitError) throw Object.assign(new Error(options.commitError.message), { code: options.commitError.code });
      for (const tp of offsets ?? stores.flat()) if (!options.coordinatorLags) committed.set(`${tp.topic}/${tp.partition}`, tp.offset);
    },
    committed: async (partitions) =>
      partitions.map((tp): CommittedOffset => ({ ...tp, offset: committed.get(`${tp.topic}/${tp.partition}`) ?? -1001 })),
    pause: async () => undefined,
    error: (err, operation) =>
      new KafkaError(`k: ${operation} failed: ${(err as Error).message}`, {
        operation,
        key: "k",
        code: (err as { code?: number }).code ?? 0,
      }),
    debug: () => undefined,
    groupHandle: () => "the consumer",
  };
  return { port, stores, commits, committed };
}

describe("OffsetLedger", () => {
  it("stores one past the highest handled message per partition, in one native call per flush", () => {
    const { port, stores } = recordingPort();
    const ledger = new OffsetLedger("k", port);
    ledger.assign([
      { topic: "t", partition: 0 },
      { topic: "t", partition: 1 },
    ]);
    ledger.store([msg("t", 0, 5), msg("t", 0, 3)]);
    ledger.store([msg("t", 1, 9)]);
    ledger.store([msg("t", 0, 4)]); // older than what is pending: does not go back
    expect(stores).toEqual([]); // nothing native until the flush
    ledger.flush();
    expect(stores).toEqual([
      [
        { topic: "t", partition: 0, offset: 6 },
        { topic: "t", partition: 1, offset: 10 },
      ],
    ]);
    ledger.flush();
    expect(stores).toHaveLength(1);
    expect(ledger.storedOffset("t", 0)).toBe(6);
  });

  it("drops offsets of partitions it does not own", () => {
    const { port, stores } = recordingPort();
    const ledger = new OffsetLedger("k", port);
    ledger.assign([{ topic: "t", partition: 0 }]);
    ledger.store([msg("t", 7, 1)]);
    ledger.flush();
    expect(stores).toEqual([]);
  });

  it("keeps taking offsets of revoked partitions until they are released", () => {
    const { port, stores } = recordingPort();
    const ledger = new OffsetLedger("k", port);
    ledger.assign([{ topic: "t", partition: 0 }]);
    ledger.revoke([{ topic: "t", partition: 0 }]);
    expect(ledger.isAssigned("t", 0)).toBe(false);
    expect(ledger.mayStore("t", 0)).toBe(true);
    ledger.store([msg("t", 0, 1)]);
    ledger.flush();
    expect(stores).toEqual([[{ topic: "t", partition: 0, offset: 2 }]]);
    ledger.release([{ topic: "t", partition: 0 }]);
    ledger.store([msg("t", 0, 2)]);
    ledger.flush();
    expect(stores).toHaveLength(1);
    expect(ledger.owns).toBe(false);
  });

  it("a store librdkafka refuses is noted, not thrown", () => {
    const { port } = recordingPort({ storeThrows: true });
    const ledger = new OffsetLedger("k", port);
    ledger.assign([{ topic: "t", partition: 0 }]);
    ledger.store([msg("t", 0, 1)]);
    expect(() => ledger.flush()).not.toThrow();
    expect(ledger.storedOffset("t", 0)).toBe(-1);
  });

  it("commits stored offsets with one call; nothing to commit is no failure", async () => {
    const { port, commits } = recordingPort({ commitError: { code: NO_OFFSET, message: "Local: No offset stored" } });
    const ledger = new OffsetLedger("k", port);
    ledger.assign([{ topic: "t", partition: 0 }]);
    ledger.store([msg("t", 0, 1)]);
    await expect(ledger.commitStored()).resolves.toBeUndefined();
    expect(commits).toEqual([null]);
  });

  it("a failed commit of stored offsets is an error naming the operation", async () => {
    const { port } = recordingPort({ commitError: { code: 27, message: "Broker: Group rebalance in progress" } });
    const ledger = new OffsetLedger("k", port);
    await expect(ledger.commitStored()).rejects.toThrow("k: CommitMessages failed: Broker: Group rebalance in progress");
  });

  it("commits messages synchronously and confirms them with the coordinator", async () => {
    const { port, commits, stores } = recordingPort();
    const ledger = new OffsetLedger("k", port);
    ledger.assign([{ topic: "t", partition: 0 }]);
    await ledger.commit([msg("t", 0, 41), msg("t", 0, 40)]);
    expect(stores).toEqual([[{ topic: "t", partition: 0, offset: 42 }]]); // stored first: a background commit cannot go back
    expect(commits).toEqual([[{ topic: "t", partition: 0, offset: 42 }]]);
  });

  it("says which partition the coordinator did not take a commit for", async () => {
    const { port } = recordingPort({ coordinatorLags: true });
    const ledger = new OffsetLedger("k", port);
    ledger.assign([{ topic: "t", partition: 3 }]);
    const error = await ledger.commit([msg("t", 3, 0)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).message).toMatch(/^k: CommitMessages failed for t \[3\]: the group coordinator did not record it/);
    expect((error as KafkaError).retriable).toBe(true);
  });

  it("refuses messages that were not read from Kafka", () => {
    const ledger = new OffsetLedger("kafka.consumerGroups.cg1", recordingPort().port);
    expect(() => ledger.store([new Message({ topic: "t" })])).toThrow(
      "kafka.consumerGroups.cg1: only messages read from Kafka can be committed",
    );
    expect(() => ledger.store([{ topic: "t", partition: 0, offset: 1 } as Message])).toThrow(TypeError);
  });
});

describe("OffsetLedger.commitMessages", () => {
  it("stores with a commit interval, commits at once with commitInterval = 0", async () => {
    const background = recordingPort();
    const stored = new OffsetLedger("k", background.port, false);
    stored.assign([{ topic: "t", partition: 0 }]);
    await stored.commitMessages([msg("t", 0, 1)]);
    expect(background.commits).toEqual([]);
    stored.flush();
    expect(background.stores).toEqual([[{ topic: "t", partition: 0, offset: 2 }]]);

    const synchronous = recordingPort();
    const committed = new OffsetLedger("k", synchronous.port, true);
    committed.assign([{ topic: "t", partition: 0 }]);
    await committed.commitMessages([msg("t", 0, 1)]);
    expect(synchronous.commits).toEqual([[{ topic: "t", partition: 0, offset: 2 }]]);
  });

  it("with transactions: never stores or commits, and hands the next offsets to the transaction with the group's handle", async () => {
    const { port, stores, commits } = recordingPort();
    const ledger = new OffsetLedger("k", port, true);
    ledger.useTransactions();
    ledger.assign([
      { topic: "t", partition: 0 },
      { topic: "t", partition: 1 },
    ]);
    ledger.store([msg("t", 1, 3)]); // stored earlier (the engine's store): goes with the next transaction
    ledger.flush();
    await ledger.commitStored();
    await ledger.commitMessages([msg("t", 0, 1)]); // commitInterval = 0 would commit at once: not with transactions
    expect(stores).toEqual([]);
    expect(commits).toEqual([]);
    await expect(ledger.commit([msg("t", 0, 1)])).rejects.toThrow(/committed by transactions/);

    const sent: Array<{ offsets: unknown; handle: unknown }> = [];
    const sink = async (offsets: unknown, handle: unknown) => void sent.push({ offsets, handle });
    ledger.revoke([{ topic: "t", partition: 1 }]);
    ledger.release([{ topic: "t", partition: 1 }]); // its pending offset goes with it
    await ledger.sendToTransaction([msg("t", 0, 5), msg("t", 7, 1)], sink); // t/7 is not ours
    expect(sent).toEqual([{ offsets: [{ topic: "t", partition: 0, offset: 6 }], handle: "the consumer" }]);
    await ledger.sendToTransaction([], sink); // nothing pending: no call
    expect(sent).toHaveLength(1);
  });
});
