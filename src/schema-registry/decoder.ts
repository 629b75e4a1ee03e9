import type { AvroDeserializer, Deserializer, ProtobufDeserializer } from "@confluentinc/schemaregistry";
import { Backoff } from "../backoff.js";
import { DECODED, type Decoded, type Message } from "../message.js";
import { SchemaDecodeError, SchemaRegistryError } from "./errors.js";
import type { SchemaFormat } from "./format.js";
import { directProtobufDecoder, protobufDeserializer } from "./protobuf.js";
import { registryStatus, type SchemaRegistry } from "./registry.js";
import { hasRules, HEADER_BYTES, wireSchemaId } from "./wire-format.js";

/** The formats of a reader's value and key; an unset one is left as bytes. */
export interface ReaderFormats {
  /** `valueFormat`: the value is decoded into `message.data`. */
  valueFormat?: SchemaFormat;
  /** `keyFormat`: the key is decoded into `message.keyData`. */
  keyFormat?: SchemaFormat;
}

/** Decodes a payload (the bytes after the header) written with one schema. */
type DecodePayload = (payload: Buffer) => unknown;

/** One field's deserializer, and the direct decoders of the Avro schema ids met so far (see {@link MessageDecoder}). */
interface FieldDecoder {
  field: "value" | "key";
  format: SchemaFormat;
  deserializer: Deserializer;
  direct: Map<number, DecodePayload | null>;
}

/**
 * Decodes the messages a reader returns with `@confluentinc/schemaregistry`'s deserializers, each
 * with the schema its bytes name (the writer's schema; looked up once per id, then cached).
 *
 * A record that cannot be decoded does not fail the read: its `message.data` throws a
 * {@link SchemaDecodeError}, so a handler fails on that one message only. A registry that cannot be
 * reached is different — nothing could be decoded — so the decoding waits for it, trying again with a
 * growing pause until `signal` aborts.
 *
 * An Avro or Protobuf schema id without data-contract rules is decoded with the deserializer's own Avro
 * type (Protobuf: its file descriptor and message-index reading) directly once it has been met: the
 * deserializer's per-message path costs several times the decoding.
 */
export class MessageDecoder {
  private fields: Promise<FieldDecoder[]> | undefined;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly formats: ReaderFormats,
    /** The reader's config key, for the warning while the registry is away. */
    private readonly key: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Decodes every message's value and key into its {@link DECODED} slot. */
  async decode(messages: readonly Message[], signal?: AbortSignal): Promise<void> {
    const fields = await this.open();
    for (const message of messages) {
      const decoded: Decoded = {};
      for (const field of fields) {
        const bytes = field.field === "value" ? message.value : message.key;
        let result: { data: unknown } | { error: SchemaDecodeError };
        if (bytes === null) result = { data: null };
        else {
          const direct = field.direct.get(wireSchemaId(bytes));
          result = direct == null ? await this.decodeSlowly(message, field, bytes, signal) : decodeDirectly(message, field, bytes, direct);
        }
        if (field.field === "value") {
          if ("error" in result) decoded.dataError = result.error;
          else decoded.data = result.data;
        } else if ("error" in result) decoded.keyDataError = result.error;
        else decoded.keyData = result.data;
      }
      message[DECODED] = decoded;
    }
  }

  private open(): Promise<FieldDecoder[]> {
    this.fields ??= this.registry.open().then(({ lib, client }) => {
      const conf = { subjectNameStrategyType: lib.SubjectNameStrategyType.TOPIC };
      const make = (field: "value" | "key", format: SchemaFormat | undefined): FieldDecoder[] => {
        if (format === undefined) return [];
        const serdeType = field === "value" ? lib.SerdeType.VALUE : lib.SerdeType.KEY;
        const deserializer =
          format === "avro"
            ? new lib.AvroDeserializer(client, serdeType, conf)
            : format === "protobuf"
              ? protobufDeserializer(lib, client, serdeType, conf)
              : new lib.JsonDeserializer(client, serdeType, { ...conf, validate: true });
        return [{ field, format, deserializer, direct: new Map() }];
      };
      return [...make("value", this.formats.valueFormat), ...make("key", this.formats.keyFormat)];
    });
    return this.fields;
  }

  /** Through the deserializer; for an Avro schema without rules, the direct decoder is made for next time. */
  private async decodeSlowly(
    message: Message,
    field: FieldDecoder,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<{ data: unknown } | { error: SchemaDecodeError }> {
    try {
      const data = await this.waitingForRegistry(message, field.field, signal, (): Promise<unknown> =>
        field.deserializer.deserialize(message.topic, bytes),
      );
      if (field.format !== "json-schema") await this.learnDirect(message, field, wireSchemaId(bytes));
      return { data };
    } catch (err) {
      if (signal?.aborted === true) throw err;
      return { error: decodeError(message, field.field, bytes, err) };
    }
  }

  private async learnDirect(message: Message, field: FieldDecoder, id: number): Promise<void> {
    if (field.direct.has(id)) return;
    const { client } = await this.registry.open();
    const info = await client.getBySubjectAndId(`${message.topic}-${field.field}`, id); // cached by deserialize() just now
    if (hasRules(info)) {
      field.direct.set(id, null);
      return;
    }
    if (field.format === "protobuf") {
      const { lib } = await this.registry.open();
      field.direct.set(id, await directProtobufDecoder(lib, field.deserializer as ProtobufDeserializer, client, info));
      return;
    }
    const [type] = await (field.deserializer as AvroDeserializer).toType(info);
    field.direct.set(id, type.typeName === "bytes" ? (payload) => payload : (payload) => type.fromBuffer(payload));
  }

  /** `request`, tried again while the registry does not answer (a transport failure, or a 5xx). */
  private async waitingForRegistry<T>(
    message: Message,
    field: "value" | "key",
    signal: AbortSignal | undefined,
    request: () => Promise<T>,
  ): Promise<T> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
    for (;;) {
      try {
        return await this.registry.call(`${this.key}: reading the schema of the ${field} at ${where(message)}`, request);
      } catch (err) {
        const status = registryStatus(err);
        const registryAway = err instanceof SchemaRegistryError && (status === 0 || status >= 500);
        if (!registryAway || signal?.aborted === true) throw err;
        this.warn(`${err.message}; decoding waits for the registry`);
        await new Promise((resolve) => setTimeout(resolve, backoff.next()));
      }
    }
  }
}

function decodeDirectly(
  message: Message,
  field: FieldDecoder,
  bytes: Buffer,
  decode: DecodePayload,
): { data: unknown } | { error: SchemaDecodeError } {
  try {
    return { data: decode(bytes.subarray(HEADER_BYTES)) };
  } catch (err) {
    return { error: decodeError(message, field.field, bytes, err) };
  }
}

function where(message: Message): string {
  return `topic ${message.topic} partition ${message.partition} offset ${message.offset}`;
}

function decodeError(message: Message, field: "value" | "key", bytes: Buffer, err: unknown): SchemaDecodeError {
  const schemaId = wireSchemaId(bytes);
  const reason =
    schemaId < 0
      ? `not in the schema registry's wire format (the first byte is ${bytes.length === 0 ? "missing" : bytes[0]}, the magic byte is 0)`
      : err instanceof Error
        ? err.message
        : String(err);
  return new SchemaDecodeError(`cannot decode the ${field} at ${where(message)} (schema id ${schemaId}): ${reason}`, {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    field,
    schemaId,
  });
}
