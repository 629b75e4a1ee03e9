import { describe, expect, it } from "vitest";
import { toError } from "../../../consumerserver/handler-error.js";
import { ThrownValueError } from "../../../consumerserver/index.js";

const at = { topic: "t", partition: 0, offset: 5 };

describe("non-Error values thrown by a handler", () => {
  it("keeps an Error as it is", () => {
    const error = new RangeError("x");
    expect(toError(error, at)).toBe(error);
  });

  it.each([
    ["a string", "boom", 'string "boom"'],
    ["undefined", undefined, "undefined"],
    ["null", null, "null"],
    ["a number", 42, "number 42"],
    ["an object", { code: 7 }, 'object {"code":7}'],
  ])("wraps %s, saying what it was and which message", (_what, value, shown) => {
    const error = toError(value, at);
    expect(error).toBeInstanceOf(ThrownValueError);
    expect((error as ThrownValueError).value).toBe(value);
    expect(error.message).toBe(`the handler threw a non-Error value (${shown}) while handling topic "t" partition 0 offset 5`);
  });

  it("shortens a long value", () => {
    expect(toError("x".repeat(1000), at).message.length).toBeLessThan(400);
  });
});
