import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { MessageDelivery } from "../../../consumerserver/context.js";
import { DeadLetterError } from "../../../consumerserver/dead-letter.js";
import { recordingFailures } from "../../../consumerserver/failure-recording.js";
import { movingOnFailure } from "../../../consumerserver/move-on-failure.js";
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
      "x-ekafka-original-key": "k",
      "x-ekafka-retry-tier": "0",
      "x-ekafka-attempt-4": expect.stringMatching(/^\d{4}-\d\d-\d\dT.* orders\[1\]@99 TypeError: bad field$/) as string,
    });
    expect(normalizeHeaders(input.headers).filter((h) => h.key === "x-ekafka-attempts")).toHaveLength(1);
  });

  it("names a topic only when told", () => {
    expect(deadLetterMessage(original(), new Error("x"), 1, "orders.DLT").topic).toBe("orders.DLT");
  });
});

describe("the failure step with a dead-letter producer", () => {
  const silent = pino({ level: "silent" });

  function pipeline(handler: () => void, write: (m: MessageInput[]) => Promise<void>, signal = new AbortController().signal) {
    const written: MessageInput[] = [];
    const reports: string[] = [];
    const handle = chain(
      callHandler(handler),
      movingOnFailure(
        {
          deadLetter: {
            writer: {
              writeMessages: async (...m) => {
                written.push(...m);
                await write(m);
              },
            },
            topicOf: () => undefined,
          },
        },
        (e, d) => reports.push(`${d.phase}: ${e.message}`),
      ),
      retrying(retryPolicy({ attempts: 2, backoffMs: 0 }), (e, d) => reports.push(`${d.phase}: ${e.message}`)),
      recordingFailures(),
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
    // One header per failed call: the one dead-letter writer records every attempt, with or without retry tiers.
    expect(Object.keys(text(written[0]!)).filter((key) => key.startsWith("x-ekafka-attempt-"))).toEqual([
      "x-ekafka-attempt-1",
      "x-ekafka-attempt-2",
      "x-ekafka-attempt-3",
    ]);
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
