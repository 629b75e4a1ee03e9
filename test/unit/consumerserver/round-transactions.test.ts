// The order of a Consumer Server's transactional calls (consumerserver/transactions.ts), against a fake
// of the producer's transactions whose answers the test controls: the first delivery's offsets go out
// at once, while handling goes on; the commit waits for that call before its own.
import { describe, expect, it } from "vitest";
import { Message, type ConsumerGroup, type Producer } from "../../../src/index.js";
import type { Delivery } from "../../../consumerserver/delivery.js";
import { serverTransactions } from "../../../consumerserver/transactions.js";

/** Transactions whose sendOffsets calls wait until the test answers them; every call is logged. */
function fakeTransactions(log: string[]) {
  const sends: Array<{ offsets: number[]; answer(): void; fail(error: Error): void }> = [];
  let open = false;
  const transactions = {
    get isOpen() {
      return open;
    },
    begin: () => {
      log.push("begin");
      open = true;
      return Promise.resolve();
    },
    sendOffsets: (_group: unknown, messages: readonly Message[]) => {
      const offsets = messages.map((m) => m.offset);
      log.push(`sendOffsets ${offsets.join(",")}`);
      return new Promise<void>((resolve, reject) =>
        sends.push({
          offsets,
          answer: () => {
            log.push(`sendOffsets ${offsets.join(",")} answered`);
            resolve();
          },
          fail: reject,
        }),
      );
    },
    commit: () => {
      log.push("commit");
      open = false;
      return Promise.resolve();
    },
    abort: () => {
      log.push("abort");
      open = false;
      return Promise.resolve();
    },
  };
  const producer = { transactional: () => transactions } as unknown as Producer;
  const group = { useTransactions: () => undefined } as unknown as ConsumerGroup;
  return { producer, group, sends };
}

const deliveryAt = (offset: number) => ({ messages: [new Message("t", 0, null, null, [], 0, offset)] }) as unknown as Delivery;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("a Consumer Server's transactions", () => {
  it("sends the first delivery's offsets at once and goes on handling; the commit waits for that call, then sends the last offsets", async () => {
    const log: string[] = [];
    const { producer, group, sends } = fakeTransactions(log);
    const tx = serverTransactions(producer, group, 60_000);
    const handle = tx.around(async (delivery) => void log.push(`handled ${delivery.messages[0]!.offset}`));
    await handle(deliveryAt(5));
    await handle(deliveryAt(6)); // not held up by the early call, still unanswered
    expect(log).toEqual(["begin", "handled 5", "sendOffsets 5", "handled 6"]);
    const committed = tx.commit();
    await settle();
    expect(log.at(-1)).toBe("handled 6"); // the commit waits for the early call
    sends[0]!.answer();
    await settle();
    expect(log.slice(4)).toEqual(["sendOffsets 5 answered", "sendOffsets 5,6"]);
    sends[1]!.answer();
    await committed;
    expect(log.slice(6)).toEqual(["sendOffsets 5,6 answered", "commit"]);
    // The next transaction sends its first delivery's offsets early again.
    await handle(deliveryAt(7));
    expect(log.slice(8)).toEqual(["begin", "handled 7", "sendOffsets 7"]);
  });

  it("aborts for a failed handler call only once the early call is answered (one transactional call at a time)", async () => {
    const log: string[] = [];
    const { producer, group, sends } = fakeTransactions(log);
    const tx = serverTransactions(producer, group, 60_000);
    let calls = 0;
    const handle = tx.around(
      tx.eachCall(async (delivery) => {
        calls++;
        if (delivery.messages[0]!.offset === 2 && calls === 2) throw new Error("boom");
        log.push(`handled ${delivery.messages[0]!.offset}`);
      }),
    );
    await handle(deliveryAt(1));
    const failing = handle(deliveryAt(2)).catch((error: Error) => log.push(`rejected: ${error.message}`));
    await settle();
    expect(log).toEqual(["begin", "handled 1", "sendOffsets 1"]); // the abort waits
    sends[0]!.answer();
    await failing;
    // Aborted, begun again, and the delivery handled before in the aborted transaction written again;
    // with no retry step between (the pipeline has one), the failure then ends the handling: aborted again.
    expect(log.slice(3)).toEqual(["sendOffsets 1 answered", "abort", "begin", "handled 1", "abort", "rejected: boom"]);
  });

  it("fails the commit when the early call failed: that transaction is not committed", async () => {
    const log: string[] = [];
    const { producer, group, sends } = fakeTransactions(log);
    const tx = serverTransactions(producer, group, 60_000);
    const handle = tx.around(async () => undefined);
    await handle(deliveryAt(3));
    sends[0]!.fail(new Error("coordinator refused the offsets"));
    await expect(tx.commit()).rejects.toThrow("coordinator refused the offsets");
    expect(log).toEqual(["begin", "sendOffsets 3"]);
  });
});
