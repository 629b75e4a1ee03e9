import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { readSchemaFile } from "../../../src/schema-registry/format.js";

const dir = mkdtempSync(join(tmpdir(), "ekafka-schema-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const KEY = "kafka.producers.p1.valueSchemaFile";

describe("a schema file", () => {
  it("is read as it is written when it is a schema of its format", () => {
    const proto = 'syntax = "proto3";\nmessage Order { string id = 1; }\n';
    expect(readSchemaFile(file("ok.proto", proto), "protobuf", KEY)).toBe(proto);
    expect(readSchemaFile(file("ok.avsc", '{"type":"string"}'), "avro", KEY)).toBe('{"type":"string"}');
  });

  it("is refused when it is not, naming the key and the file", () => {
    const broken = file("broken.proto", 'syntax = "proto3";\nmessage Order { string id = 1 }\n');
    expect(() => readSchemaFile(broken, "protobuf", KEY)).toThrow(ConfigError);
    expect(() => readSchemaFile(broken, "protobuf", KEY)).toThrow(
      `${KEY}: the protobuf schema file ${broken} is not a usable .proto file: illegal token '}', ';' expected (line 2)`,
    );
    const empty = file("empty.proto", 'syntax = "proto3";\nenum E { A = 0; }\n');
    expect(() => readSchemaFile(empty, "protobuf", KEY)).toThrow(`is not a usable .proto file: it declares no message`);
    expect(() => readSchemaFile(file("bad.avsc", "{"), "avro", KEY)).toThrow(
      `${KEY}: the avro schema file ${join(dir, "bad.avsc")} is not JSON`,
    );
    expect(() => readSchemaFile(join(dir, "missing.proto"), "protobuf", KEY)).toThrow(`${KEY}: cannot read the protobuf schema file`);
  });
});
