import type { AvroSerializer, ProtobufSerializer, Serializer } from "@confluentinc/schemaregistry";
import { SchemaEncodeError } from "./errors.js";
import { REGISTRY_SCHEMA_TYPE, type SchemaFormat } from "./format.js";
import { directProtobufEncoder, protobufMessages, type TypedMessage } from "./protobuf.js";
import type { SchemaRegistry } from "./registry.js";
import { hasRules, wireHeader } from "./wire-format.js";

/** How one field (value or key) of a producer's messages is written. */
export interface FieldSerde {
  /** The format of the field. */
  format: SchemaFormat;
  /** The schema's text, read from `valueSchemaFile` / `keySchemaFile`; absent with `useLatestVersion`. */
  schema?: string;
  /** Where the schema came from (the file's path), for errors. */
  schemaFile?: string;
  /** Write with the subject's latest registered version instead of a schema file. */
  useLatestVersion: boolean;
  /** Register the schema under the subject when it is not there (Confluent's auto.register.schemas). */
  autoRegister: boolean;
}

/** The Avro encoder's scratch buffer: values larger than this are encoded on their own. */
const SCRATCH_BYTES = 64 * 1024;

/** Turns one value into its bytes in the wire format; `index` is the message's place in its write call, for errors. */
export type Encode = (value: unknown, index: number) => Buffer | Promise<Buffer>;

/**
 * Serializes one field of a producer's messages into Confluent's wire format (magic byte 0, the 4-byte
 * schema id, the payload), with `@confluentinc/schemaregistry`'s serializers.
 *
 * The subject is `<topic>-value` / `<topic>-key` (Confluent's TopicNameStrategy). A topic's schema id is
 * looked up once — registered (autoRegister), looked up (a schema file without autoRegister) or the
 * subject's latest (useLatestVersion) — and kept, so writes after the first make no registry call. A
 * failed lookup is forgotten, so the next write asks again.
 *
 * Avro schemas without data-contract rules (what a schema file gives) are encoded with the serializer's
 * own Avro type directly: its per-message path (subject, cache and rule lookups, several awaits) cost
 * about four times the encoding itself. Protobuf ones likewise, with the serializer's framing.
 */
export class FieldSerializer {
  private readonly perTopic = new Map<string, Promise<Encode>>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly field: "value" | "key",
    private readonly serde: FieldSerde,
    /** The producer's config key, named in errors. */
    private readonly key: string,
  ) {}

  /**
   * The encoder of `topic`'s field, made on first use.
   * @throws SchemaRegistryError when the registry cannot be asked or refuses the schema
   */
  encoderFor(topic: string): Promise<Encode> {
    let encoder = this.perTopic.get(topic);
    if (encoder === undefined) {
      encoder = this.makeEncoder(topic);
      encoder.catch(() => this.perTopic.delete(topic));
      this.perTopic.set(topic, encoder);
    }
    return encoder;
  }

  private async makeEncoder(topic: string): Promise<Encode> {
    const { lib, client } = await this.registry.open();
    const subject = `${topic}-${this.field}`;
    const serdeType = this.field === "value" ? lib.SerdeType.VALUE : lib.SerdeType.KEY;
    const schemaType = REGISTRY_SCHEMA_TYPE[this.serde.format];
    let config: Record<string, unknown> = { useLatestVersion: true };
    if (!this.serde.useLatestVersion) {
      const info = { schemaType, schema: this.serde.schema! };
      const what = this.serde.autoRegister
        ? `registering the ${this.field} schema ${this.serde.schemaFile} under subject ${subject}`
        : `looking up the ${this.field} schema ${this.serde.schemaFile} in subject ${subject}`;
      const id = await this.registry.call(`${this.key}: ${what}`, () =>
        this.serde.autoRegister ? client.register(subject, info, false) : client.getId(subject, info, false),
      );
      config = { useSchemaId: id };
    }
    const conf = { ...config, autoRegisterSchemas: false, subjectNameStrategyType: lib.SubjectNameStrategyType.TOPIC };
    const format = this.serde.format;
    const serializer =
      format === "avro"
        ? new lib.AvroSerializer(client, serdeType, conf)
        : format === "protobuf"
          ? new lib.ProtobufSerializer(client, serdeType, conf)
          : new lib.JsonSerializer(client, serdeType, { ...conf, validate: true });
    // The lookups serialize() makes, made here within the timeout; afterwards they come from the client's caches.
    const [schemaId, info] = await this.registry.call(`${this.key}: reading the ${this.field} schema of subject ${subject}`, () =>
      serializer.getSchemaId(schemaType, topic, undefined),
    );
    if (format === "avro" && !hasRules(info)) {
      const [type] = await (serializer as AvroSerializer).toType(info);
      return this.avroEncoder(type, wireHeader(schemaId.id!), topic);
    }
    if (format === "protobuf") {
      const toMessage = protobufMessages(serializer as ProtobufSerializer, info);
      const direct = hasRules(info) ? undefined : directProtobufEncoder(lib, serializer as ProtobufSerializer, schemaId.id!);
      return (value, index) => {
        let typed: TypedMessage;
        try {
          typed = toMessage(value);
          if (direct !== undefined) return direct(typed);
        } catch (err) {
          throw this.encodeError(topic, index, err instanceof Error ? err.message : String(err));
        }
        return this.viaSerializer(serializer, topic, typed.message, index);
      };
    }
    return (value, index) => this.viaSerializer(serializer, topic, value, index);
  }

  private avroEncoder(type: Awaited<ReturnType<AvroSerializer["toType"]>>[0], header: Buffer, topic: string): Encode {
    // Values are encoded behind a copy of the header in one scratch buffer, then copied out once: a
    // toBuffer() and a concat would make two buffers per message.
    const scratch = Buffer.alloc(SCRATCH_BYTES);
    header.copy(scratch, 0);
    return (value, index) => {
      if (!type.isValid(value)) {
        type.isValid(value, {
          errorHook: (path, found, expected) => {
            throw this.encodeError(
              topic,
              index,
              `invalid value at ${path.join(".")}, expected ${String(expected)}, got ${describe(found)}`,
            );
          },
        });
      }
      if (type.typeName === "bytes") return Buffer.concat([header, value as Buffer]);
      const end = type.encode(value, scratch, header.length);
      if (end > 0) return Buffer.from(scratch.subarray(0, end));
      const body = type.toBuffer(value); // larger than the scratch buffer
      return Buffer.concat([header, body], header.length + body.length);
    };
  }

  private async viaSerializer(serializer: Serializer, topic: string, value: unknown, index: number): Promise<Buffer> {
    try {
      return await serializer.serialize(topic, value);
    } catch (err) {
      throw this.encodeError(topic, index, err instanceof Error ? err.message : String(err));
    }
  }

  private encodeError(topic: string, index: number, reason: string): SchemaEncodeError {
    const schema = this.serde.useLatestVersion ? `(latest version of subject ${topic}-${this.field})` : (this.serde.schemaFile ?? "");
    return new SchemaEncodeError(
      `${this.key}: writeMessages: message ${index}: ${this.field} does not match the ${this.serde.format} schema ${schema}: ${reason}`,
      { key: this.key, field: this.field, schema },
    );
  }
}

/** A rejected value, short (never a whole object's content). */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${value}`;
  return Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value;
}
