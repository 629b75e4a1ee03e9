import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { propertyOrigins, refusedConfigError } from "../../src/refused-config.js";

const origins = (instanceRaw: Record<string, string> = {}, componentRaw: Record<string, string> = {}) =>
  propertyOrigins({ componentKey: "kafka", instanceKey: "kafka.consumerGroups.cg", tree: "consumerGroups", componentRaw, instanceRaw });

describe("propertyOrigins", () => {
  it("names the properties entry that sets a property, the instance's before the component's", () => {
    expect(origins({ "group.protocol": "consumer" }, { "group.protocol": "classic" }).keysOf("group.protocol")).toEqual([
      "kafka.consumerGroups.cg.properties.group.protocol",
    ]);
    expect(origins({}, { "group.protocol": "classic" }).keysOf("group.protocol")).toEqual(["kafka.properties.group.protocol"]);
  });

  it("names the typed keys of the instance's tree and of the component that map to a property", () => {
    expect(origins().keysOf("session.timeout.ms")).toEqual(["kafka.consumerGroups.cg.sessionTimeout"]);
    expect(origins().keysOf("client.id")).toEqual(["kafka.clientID", "kafka.consumerGroups.cg.clientID"]);
    expect(origins().keysOf("linger.ms")).toEqual([]); // a producer key: not this client's
    expect(origins().keysOf("no.such.property")).toEqual([]);
  });
});

describe("refusedConfigError", () => {
  it("is keyed at the properties entry the reason names, and says where each named property comes from", () => {
    const error = refusedConfigError(
      origins({ "group.protocol": "consumer" }),
      "`session.timeout.ms` is not supported for `group.protocol=consumer` or share consumer. It is defined broker side",
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.fatal).toBe(true); // what the Consumer Server stops on
    expect(error.key).toBe("kafka.consumerGroups.cg.properties.group.protocol");
    expect(error.message).toBe(
      "kafka.consumerGroups.cg.properties.group.protocol: librdkafka refused the configuration of kafka.consumerGroups.cg: " +
        "`session.timeout.ms` is not supported for `group.protocol=consumer` or share consumer. It is defined broker side " +
        "(session.timeout.ms is set by kafka.consumerGroups.cg.sessionTimeout; group.protocol by kafka.consumerGroups.cg.properties.group.protocol)",
    );
  });

  it("falls back to a typed key, then to the client's key", () => {
    expect(refusedConfigError(origins(), "`session.timeout.ms` is out of range").key).toBe("kafka.consumerGroups.cg.sessionTimeout");
    const unnamed = refusedConfigError(origins(), "Failed to create thread");
    expect(unnamed.key).toBe("kafka.consumerGroups.cg");
    expect(unnamed.message).toBe("kafka.consumerGroups.cg: librdkafka refused the configuration: Failed to create thread");
  });
});
