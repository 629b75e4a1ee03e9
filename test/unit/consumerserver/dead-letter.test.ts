import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { MessageDelivery } from "../../../consumerserver/context.js";
import { deadLettering, DeadLetterError } from "../../../consumerserver/dead-letter.js";
import { DEAD_LETTER_HEADERS, deadLetterMessage, RecoverableError, retryPolicy } from "../../../consumerserver/index.js";
import { callHandler, chain, retrying } from "../../../consumerserver/middleware.js";
import { Message, normalizeHeaders, type MessageInput } from "../../../src/message.js";

const original = () =>
  new Message({
    topic: "orders",
    partition: 1,
    offset: 99,
    key: Buffer.from("k"),
    value: Buffer.from("v"),
    headers: normalizeHeaders({ traceparent: "00-abc", [DEAD_LETTER_HEADERS.attempts]: "7" }),
  });

const text = (input: MessageInput) => Object.fromEntries(normalizeHeaders(input.headers).map((h) => [h.key, h.value.toString()]));

describe("deadLetterMessage", () => {
  it("keeps key, value and headers and says why and where from", () => {
    const input = deadLetterMessage(original(), new TypeError("bad field"), 4);
    expect(input.topic).toBeUndefined();
    expect(input.key).toEqual(Buffer.from("k"));
    expect(input.value).toEqual(Buffer.from("v"));
    expect(text(input)).toEqual({
      traceparent: "00-abc",
      "x-ekafka-error": "TypeError: bad field",
      "x-ekafka-attempts": "4", // replaced, not repeated
      "x-ekafka-original-topic": "orders",
      "x-ekafka-original-partition": "1",
      "x-ekafka-original-offset": "99",
    });
    expect(normalizeHeaders(input.headers).filter((h) => h.key === "x-ekafka-attempts")).toHaveLength(1);
  });

  it("names a topic only when told", () => {
    expect(deadLetterMessage(original(), new Error("x"), 1, "orders.DLT").topic).toBe("orders.DLT");
  });
});

describe("the dead-letter middleware", () => {
  const silent = pino({ level: "silent" });

  function pipeline(handler: () => void, write: (m: MessageInput[]) => Promise<void>, signal = new AbortController().signal) {
    const written: MessageInput[] = [];
    const reports: string[] = [];
    const handle = chain(
      callHandler(handler),
      deadLettering(
        {
          writeMessages: async (...m) => {
            written.push(...m);
            await write(m);
          },
        },
        () => undefined,
        (e, d) => reports.push(`${d.phase}: ${e.message}`),
      ),
      retrying(retryPolicy({ attempts: 2, backoffMs: 0 }), (e, d) => reports.push(`${d.phase}: ${e.message}`)),
    );
    return { done: handle(new MessageDelivery(original(), signal, silent)), written, reports };
  }

  it("parks a message whose retries ran out, with the number of calls, and resolves", async () => {
    const { done, written } = pipeline(
      () => {
        throw new RecoverableError("still busy");
      },
      async () => undefined,
    );
    await expect(done).resolves.toBeUndefined();
    expect(written).toHaveLength(1);
    expect(text(written[0]!)).toMatchObject({ "x-ekafka-error": "RecoverableError: still busy", "x-ekafka-attempts": "3" });
  });

  it("fails with a DeadLetterError when the write fails", async () => {
    const { done, reports } = pipeline(
      () => {
        throw new Error("poison");
      },
      async () => {
        throw new Error("broker gone");
      },
    );
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadLetterError);
    expect((error as DeadLetterError).handlerError.message).toBe("poison");
    expect((error as Error).message).toMatch(/topic "orders" partition 1 offset 99 .*broker gone.*poison/);
    expect(reports).toEqual(["handle: poison", expect.stringMatching(/^deadLetter: writing/)]);
  });

  it("does not park anything on a hard stop", async () => {
    const controller = new AbortController();
    const { done, written } = pipeline(
      () => {
        controller.abort();
        throw new Error("aborted");
      },
      async () => undefined,
      controller.signal,
    );
    await expect(done).rejects.toThrow("aborted");
    expect(written).toEqual([]);
  });
});
