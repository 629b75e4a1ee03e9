import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { BatchDelivery, MessageDelivery } from "../../../consumerserver/context.js";
import { chain, RecoverableError, retryPolicy, withMiddleware, type Delivery, type Middleware } from "../../../consumerserver/index.js";
import { callBatchHandler, callHandler, retrying } from "../../../consumerserver/middleware.js";
import { defaultServerOptions } from "../../../consumerserver/options.js";
import { Message } from "../../../src/message.js";

const silent = pino({ level: "silent" });
const message = (offset: number) => new Message({ topic: "orders", partition: 3, offset, value: Buffer.from(`v${offset}`) });

/** A middleware that writes down what it sees before and after the rest of the pipeline. */
function recorder(seen: string[], name: string): Middleware {
  return (next) => async (delivery) => {
    seen.push(
      `${name} before: attempts ${delivery.attempts}, offsets ${delivery.messages.map((m) => m.offset).join(",")}, batch ${delivery.batch !== undefined}`,
    );
    try {
      await next(delivery);
      seen.push(`${name} after: ok, attempts ${delivery.attempts}`);
    } catch (error) {
      seen.push(
        `${name} after: ${(error as Error).message}, delivery.error ${delivery.error?.message}, aborted ${delivery.signal.aborted}`,
      );
      throw error;
    }
  };
}

describe("middlewares", () => {
  it("run outermost first and see the message, the attempts, the error and the signal", async () => {
    const seen: string[] = [];
    const pipeline = chain(
      callHandler((ctx) => {
        seen.push(`handler attempt ${ctx.attempt}`);
        if (ctx.attempt === 1) throw new RecoverableError("busy");
      }),
      recorder(seen, "outer"),
      retrying(retryPolicy({ backoffMs: 0 }), () => undefined),
      recorder(seen, "inner"),
    );
    await pipeline(new MessageDelivery(message(7), new AbortController().signal, silent));
    expect(seen).toEqual([
      "outer before: attempts 0, offsets 7, batch false",
      "inner before: attempts 0, offsets 7, batch false",
      "handler attempt 1",
      "inner after: busy, delivery.error busy, aborted false",
      "inner before: attempts 1, offsets 7, batch false",
      "handler attempt 2",
      "inner after: ok, attempts 2",
      "outer after: ok, attempts 2",
    ]);
  });

  it("see a batch, and a retry gets only the messages the handler did not resolve", async () => {
    const seen: string[] = [];
    const stored: number[] = [];
    const calls: number[][] = [];
    const pipeline = chain(
      callBatchHandler((ctx, batch) => {
        calls.push(batch.messages.map((m) => m.offset));
        if (ctx.attempt === 1) {
          batch.resolve(batch.messages[1]!);
          throw new RecoverableError("half done");
        }
      }),
      retrying(retryPolicy({ backoffMs: 0 }), () => undefined),
      recorder(seen, "inner"),
    );
    const delivery = new BatchDelivery([10, 11, 12, 13].map(message), new AbortController().signal, silent, (m) => stored.push(m.offset));
    await pipeline(delivery);
    expect(calls).toEqual([
      [10, 11, 12, 13],
      [12, 13],
    ]);
    expect(stored).toEqual([11]);
    expect(seen).toEqual([
      "inner before: attempts 0, offsets 10,11,12,13, batch true",
      "inner after: half done, delivery.error half done, aborted false",
      "inner before: attempts 1, offsets 12,13, batch true",
      "inner after: ok, attempts 2",
    ]);
    expect(delivery.batch.isResolved(delivery.batch.messages[0]!)).toBe(false);
  });

  it("can skip the handler by resolving without calling next", async () => {
    const handled: number[] = [];
    const skipEven: Middleware = (next) => async (delivery: Delivery) => {
      if (delivery.message.offset % 2 === 0) return;
      await next(delivery);
    };
    const pipeline = chain(
      callHandler((_ctx, m) => void handled.push(m.offset)),
      skipEven,
    );
    for (const offset of [1, 2, 3, 4]) await pipeline(new MessageDelivery(message(offset), new AbortController().signal, silent));
    expect(handled).toEqual([1, 3]);
  });

  it("are added by withMiddleware in order, and a non-function is refused", () => {
    const first: Middleware = (next) => next;
    const second: Middleware = (next) => next;
    const options = defaultServerOptions();
    withMiddleware(first)(options);
    withMiddleware(second)(options);
    expect(options.middlewares).toEqual([first, second]);
    expect(() => withMiddleware("retry" as unknown as Middleware)).toThrow(/withMiddleware: argument 1 must be a middleware/);
  });

  it("a batch refuses to resolve a message it does not hold, and ignores resolving after a hard stop", () => {
    const controller = new AbortController();
    const stored: number[] = [];
    const delivery = new BatchDelivery([1, 2].map(message), controller.signal, silent, (m) => stored.push(m.offset));
    expect(() => delivery.batch.resolve(message(9))).toThrow(
      /batch.resolve: the message at offset 9 is not one of this batch of orders \[3\]/,
    );
    controller.abort();
    delivery.batch.resolve(delivery.batch.messages[0]!);
    expect(stored).toEqual([]);
  });
});
