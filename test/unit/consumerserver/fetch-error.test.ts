import { describe, expect, it } from "vitest";
import { isPermanentFetchError } from "../../../consumerserver/index.js";
import { KafkaError } from "../../../src/errors.js";

describe("fetch error classification", () => {
  const kafkaError = (retriable: boolean, fatal: boolean) =>
    new KafkaError("x", { operation: "FetchMessage", key: "kafka.consumerGroups.cg1", retriable, fatal });

  it("stops only on a fatal error; retriable and non-fatal ones are polled through", () => {
    expect(isPermanentFetchError(kafkaError(false, true))).toBe(true);
    expect(isPermanentFetchError(kafkaError(true, false))).toBe(false);
    expect(isPermanentFetchError(kafkaError(false, false))).toBe(false);
    expect(isPermanentFetchError(new Error("not a KafkaError"))).toBe(false);
  });
});
