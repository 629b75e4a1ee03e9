import { createRequire } from "node:module";
import type { DescFile, DescMessage } from "@bufbuild/protobuf";
import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";

// A Protobuf schema as the registry holds it — the text of a .proto file (what Apicurio and the Java
// serializers register), or a base64 FileDescriptorProto (what @confluentinc/schemaregistry registers
// and Confluent's registry returns with ?format=serialized) — turned into @bufbuild/protobuf
// descriptors, which the Protobuf serializer and deserializer of @confluentinc/schemaregistry work
// with. There is no .proto compiler in @bufbuild/protobuf itself: the text is parsed with protobufjs,
// whose descriptor extension writes a FileDescriptorProto, then made strict as @bufbuild wants it.

// Loaded with require, on first use: the same CommonJS build of @bufbuild/protobuf as
// @confluentinc/schemaregistry's, and synchronously, so a bad schema file fails when the producer is made.
const require = createRequire(import.meta.url);
type Bufbuild = typeof import("@bufbuild/protobuf");
type Wkt = typeof import("@bufbuild/protobuf/wkt");
type Reflect = typeof import("@bufbuild/protobuf/reflect");
type Protobufjs = typeof import("protobufjs");
interface Libraries {
  bufbuild: Bufbuild;
  wkt: Wkt;
  reflect: Reflect;
  protobufjs: Protobufjs;
  /** protobufjs's descriptor extension: `FileDescriptorSet.encode` of `Root.toDescriptor()`. */
  descriptor: { FileDescriptorSet: { encode(set: unknown): { finish(): Uint8Array } } };
}
let libraries: Libraries | undefined;
function load(): Libraries {
  libraries ??= {
    bufbuild: require("@bufbuild/protobuf") as Bufbuild,
    wkt: require("@bufbuild/protobuf/wkt") as Wkt,
    reflect: require("@bufbuild/protobuf/reflect") as Reflect,
    protobufjs: require("protobufjs") as Protobufjs,
    descriptor: require("protobufjs/ext/descriptor") as Libraries["descriptor"],
  };
  return libraries;
}

/** A compiled Protobuf schema: its file and its messages, top-level first, in the file's order. */
export interface ProtoSchema {
  file: DescFile;
  /** The top-level messages; the first is what a plain object is written as. */
  messages: readonly DescMessage[];
}

/** Whether `schema` is a base64 FileDescriptorProto rather than .proto text (which always has `;` or `{`). */
function isSerialized(schema: string): boolean {
  return /^[A-Za-z0-9+/=\s]+$/.test(schema);
}

/**
 * Compiles a Protobuf schema (.proto text or a base64 FileDescriptorProto) into descriptors.
 * Imports are refused: a schema must be one self-contained file (the registry's schema references
 * are not followed).
 * @throws Error saying what is wrong (a syntax error with its line, an unknown type, an import)
 */
export function compileProtoSchema(schema: string): ProtoSchema {
  const { bufbuild, wkt } = load();
  const proto = isSerialized(schema)
    ? bufbuild.fromBinary(wkt.FileDescriptorProtoSchema, Buffer.from(schema, "base64"))
    : parseText(schema);
  if (proto.dependency.length > 0) {
    throw new Error(`imports are not supported (a schema is one self-contained .proto file): ${proto.dependency.join(", ")}`);
  }
  const registry = bufbuild.createFileRegistry(proto, () => undefined);
  const file = registry.getFile(proto.name)!;
  return { file, messages: file.messages };
}

/** .proto text to a FileDescriptorProto, with every type name fully qualified. */
function parseText(text: string): FileDescriptorProto {
  const { bufbuild, wkt, reflect, protobufjs, descriptor } = load();
  const parsed = protobufjs.parse(text, { keepCase: true, alternateCommentMode: true });
  if (parsed.imports !== undefined && parsed.imports.length > 0) {
    throw new Error(`imports are not supported (a schema is one self-contained .proto file): ${parsed.imports.join(", ")}`);
  }
  parsed.root.resolveAll(); // throws "no such type: X" for a field of an unknown type
  // The file's `syntax = "proto3";` (or `edition = "2023";`); without one, a .proto file is proto2.
  const syntax = /^\s*(?:syntax|edition)\s*=\s*["']([^"']+)["']/m.exec(text)?.[1] ?? "proto2";
  const set = (parsed.root as unknown as { toDescriptor(syntax: string): unknown }).toDescriptor(syntax);
  const files = bufbuild.fromBinary(wkt.FileDescriptorSetSchema, descriptor.FileDescriptorSet.encode(set).finish()).file;
  if (files.length !== 1) throw new Error(`expected one file's types, got ${files.length} packages`);
  const file = files[0]!;
  completeAsProtoc(file, reflect.protoCamelCase);
  return file;
}

/**
 * Fills in what protoc writes and protobufjs leaves out, which @bufbuild relies on: a field's type name
 * fully qualified (protobufjs names it relative to the field's message: "Line", "Order.Kind"; it is
 * resolved as protoc does, in the innermost enclosing scope that declares it), and its JSON name.
 */
function completeAsProtoc(file: FileDescriptorProto, camelCase: (name: string) => string): void {
  const declared = new Set<string>();
  const pkg = file.package === "" ? "" : `.${file.package}`;
  type Message = FileDescriptorProto["messageType"][number];
  const collect = (scope: string, messages: Message[], enums: Array<{ name: string }>) => {
    for (const e of enums) declared.add(`${scope}.${e.name}`);
    for (const m of messages) {
      declared.add(`${scope}.${m.name}`);
      collect(`${scope}.${m.name}`, m.nestedType, m.enumType);
    }
  };
  collect(pkg, file.messageType, file.enumType);
  const resolve = (scope: string, name: string): string => {
    if (name.startsWith(".")) return name;
    for (let s = scope; ; s = s.slice(0, Math.max(0, s.lastIndexOf(".")))) {
      if (declared.has(`${s}.${name}`)) return `${s}.${name}`;
      if (s === "") return name; // not declared here: createFileRegistry names it in its error
    }
  };
  const visit = (scope: string, messages: Message[]) => {
    for (const m of messages) {
      const inner = `${scope}.${m.name}`;
      for (const field of m.field) {
        if (field.typeName !== "") field.typeName = resolve(inner, field.typeName);
        if (field.jsonName === "") field.jsonName = camelCase(field.name);
      }
      visit(inner, m.nestedType);
    }
  };
  visit(pkg, file.messageType);
}
