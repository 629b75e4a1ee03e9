import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { compileProtoSchema } from "../../../src/schema-registry/proto-schema.js";

const SHOP = `
syntax = "proto3";
package shop.v1;

// Types are named relative to their use: Line, Kind, Inner, Status.
message Order {
  string id = 1;
  int32 amount = 2;
  map<string, Line> lines_by_sku = 3;
  enum Kind { KIND_UNSPECIFIED = 0; KIND_RETAIL = 1; }
  Kind kind = 4;
  int64 total_cents = 5;
  optional string note = 6;
  message Inner { int32 x = 1; Kind kind = 2; }
  Inner inner = 7;
  repeated Line lines = 8;
  repeated int32 counts = 9;
  oneof payment { string card = 10; string iban = 11; }
  Status status = 12;
}
message Line { string sku = 1; }
enum Status { STATUS_UNSPECIFIED = 0; STATUS_PAID = 1; }
`;

describe("a Protobuf schema compiled from .proto text", () => {
  it("has the file's top-level messages in order, and round-trips every kind of field", () => {
    const { messages } = compileProtoSchema(SHOP);
    expect(messages.map((m) => m.typeName)).toEqual(["shop.v1.Order", "shop.v1.Line"]);
    const order = messages[0]!;
    const json = {
      id: "o-1",
      amount: 3,
      linesBySku: { a: { sku: "a" } },
      kind: "KIND_RETAIL",
      totalCents: "5000000000",
      note: "n",
      inner: { x: 2, kind: "KIND_RETAIL" },
      lines: [{ sku: "b" }],
      counts: [1, 2, 3],
      iban: "DE00",
      status: "STATUS_PAID",
    };
    const decoded = fromBinary(order, toBinary(order, fromJson(order, json)));
    expect(toJson(order, decoded)).toEqual(json);
    expect(decoded.$typeName).toBe("shop.v1.Order");
  });

  it("reads a schema given as a base64 FileDescriptorProto (Confluent's ?format=serialized)", () => {
    const proto = create(FileDescriptorProtoSchema, {
      name: "o.proto",
      package: "shop",
      syntax: "proto3",
      messageType: [{ name: "Order", field: [{ name: "id", number: 1, type: 9, label: 1, jsonName: "id" }] }],
    });
    const base64 = Buffer.from(toBinary(FileDescriptorProtoSchema, proto)).toString("base64");
    expect(compileProtoSchema(base64).messages.map((m) => m.typeName)).toEqual(["shop.Order"]);
  });

  it("is proto2 without a syntax line, as protoc reads it", () => {
    const { file } = compileProtoSchema("message P { required string a = 1; optional int32 b = 2 [default = 5]; }");
    expect(file.edition).toBe(998); // EDITION_PROTO2
  });

  it("refuses a syntax error with its line, an unknown type, and imports", () => {
    expect(() => compileProtoSchema('syntax = "proto3";\nmessage X { string a = 1 }')).toThrow(/';' expected \(line 2\)/);
    expect(() => compileProtoSchema('syntax = "proto3"; message X { strin a = 1; }')).toThrow(/strin/);
    expect(() => compileProtoSchema('syntax = "proto3"; import "other.proto"; message X { string a = 1; }')).toThrow(
      "imports are not supported (a schema is one self-contained .proto file): other.proto",
    );
  });
});
