import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors.js";
import { FailureLog, failFast, isUnrecoverable } from "../../src/rdkafka.js";

const fail = (message: string) => ({ severity: 3, fac: "FAIL", message });

describe("FailureLog: failures that waiting does not cure", () => {
  it.each([
    ["SASL authentication error: Authentication failed", ErrorCodes.ERR__AUTHENTICATION],
    ["SSL handshake failed: error:0A000086:SSL routines::certificate verify failed", ErrorCodes.ERR__SSL],
    ["Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate", ErrorCodes.ERR__SSL],
  ])("reports %s with code %i", (message, code) => {
    const log = new FailureLog({});
    const seen: Array<{ message: string; code: number }> = [];
    log.onUnrecoverableFailure((error) => seen.push({ message: error.message, code: error.code }));
    log.record(fail(`[thrd:ssl://127.0.0.1:9391/bootstrap]: ${message}`));
    expect(seen).toEqual([{ message, code }]);
    expect(isUnrecoverable(seen[0])).toBe(true);
  });

  it("does not report a refused connection, which may heal", () => {
    const log = new FailureLog({});
    let reported = false;
    log.onUnrecoverableFailure(() => (reported = true));
    log.record(fail("Connect to ipv4#127.0.0.1:9092 failed: Connection refused"));
    expect(reported).toBe(false);
    expect(log.last).toBe("Connect to ipv4#127.0.0.1:9092 failed: Connection refused");
  });

  it("failFast rejects at once with the failure, and a later rejection of the work goes nowhere", async () => {
    const log = new FailureLog({});
    let rejectWork: (reason: unknown) => void = () => {};
    const work = new Promise<never>((_, reject) => (rejectWork = reject));
    const outcome = failFast(work, log);
    log.record(fail("SSL handshake failed: certificate verify failed"));
    await expect(outcome).rejects.toMatchObject({ code: ErrorCodes.ERR__SSL });
    rejectWork(new Error("timed out")); // must not become an unhandled rejection
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it("failFast settles like the work when no such failure comes", async () => {
    await expect(failFast(Promise.resolve(42), new FailureLog({}))).resolves.toBe(42);
  });
});
