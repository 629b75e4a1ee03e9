import { describe, expect, it } from "vitest";
import { isRecoverable, RecoverableError } from "../../../consumerserver/index.js";

describe("RecoverableError", () => {
  it("is an Error with its own name and keeps its cause", () => {
    const cause = new Error("db down");
    const error = new RecoverableError("saving failed", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("RecoverableError");
    expect(error.message).toBe("saving failed");
    expect(error.cause).toBe(cause);
  });

  it("subclasses stay recoverable", () => {
    class DatabaseBusy extends RecoverableError {}
    expect(isRecoverable(new DatabaseBusy("busy"))).toBe(true);
  });
});

describe("isRecoverable", () => {
  it("is true for a RecoverableError itself", () => {
    expect(isRecoverable(new RecoverableError("x"))).toBe(true);
  });

  it("finds a RecoverableError anywhere in the cause chain", () => {
    const deep = new Error("handler", { cause: new TypeError("wrapped", { cause: new RecoverableError("timeout") }) });
    expect(isRecoverable(deep)).toBe(true);
  });

  it("finds one inside an AggregateError", () => {
    expect(isRecoverable(new AggregateError([new Error("a"), new RecoverableError("b")], "several"))).toBe(true);
  });

  it("is false for other errors and non-errors", () => {
    expect(isRecoverable(new Error("plain", { cause: new Error("also plain") }))).toBe(false);
    expect(isRecoverable("RecoverableError")).toBe(false);
    expect(isRecoverable(undefined)).toBe(false);
    expect(isRecoverable(null)).toBe(false);
    expect(isRecoverable({ name: "RecoverableError", message: "looks like one" })).toBe(false);
  });

  it("ends on a circular cause chain", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isRecoverable(a)).toBe(false);
  });
});
