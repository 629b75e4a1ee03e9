import { describe, expect, it } from "vitest";
import { hasRules, wireHeader, wireSchemaId } from "../../../src/schema-registry/wire-format.js";

describe("the schema registry's wire format", () => {
  it("writes the magic byte 0 and the schema id big-endian, and reads the id back", () => {
    const header = wireHeader(0x01020304);
    expect([...header]).toEqual([0, 1, 2, 3, 4]);
    expect(wireSchemaId(Buffer.concat([header, Buffer.from("payload")]))).toBe(0x01020304);
  });

  it("reads no id (-1) from bytes that are not in the format", () => {
    expect(wireSchemaId(Buffer.from("garbage"))).toBe(-1); // first byte 'g', not 0
    expect(wireSchemaId(Buffer.from([0, 0, 1]))).toBe(-1); // too short for an id
    expect(wireSchemaId(Buffer.alloc(0))).toBe(-1);
  });

  it("tells a schema with data-contract rules from one without", () => {
    expect(hasRules({ schema: "{}" })).toBe(false);
    expect(hasRules({ schema: "{}", ruleSet: { domainRules: [] } })).toBe(false);
    expect(hasRules({ schema: "{}", ruleSet: { domainRules: [{ name: "r", kind: "TRANSFORM", type: "CEL" }] } })).toBe(true);
    expect(hasRules({ schema: "{}", ruleSet: { migrationRules: [{ name: "m", kind: "TRANSFORM", type: "JSONATA" }] } })).toBe(true);
  });
});
