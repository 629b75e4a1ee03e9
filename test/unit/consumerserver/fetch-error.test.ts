import { describe, expect, it } from "vitest";
import { isPermanentFetchError } from "../../../consumerserver/index.js";
import { ClosedError, KafkaError } from "../../../src/errors.js";

describe("fetch error classification", () => {
  const kafkaError = (retriable: boolean, fatal: boolean) =>
    new KafkaError("x", { operation: "FetchMessage", key: "kafka.consumerGroups.cg1", retriable, fatal });

  it("stops only on a fatal error; retriable and non-fatal ones are polled through", () => {
    expect(isPermanentFetchError(kafkaError(false, true))).toBe(true);
    expect(isPermanentFetchError(kafkaError(true, false))).toBe(false);
    expect(isPermanentFetchError(kafkaError(false, false))).toBe(false);
    expect(isPermanentFetchError(new Error("not a KafkaError"))).toBe(false);
  });

  it("stops on a reader closed under the server: every poll after it fails at once", () => {
    expect(isPermanentFetchError(new ClosedError("reader kafka.consumers.c1", "poll"))).toBe(true);
  });
});
