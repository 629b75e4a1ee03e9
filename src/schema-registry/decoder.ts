import type { Deserializer } from "@confluentinc/schemaregistry";
import { Backoff } from "../backoff.js";
import { DECODED, type Decoded, type Message } from "../message.js";
import { SchemaDecodeError, SchemaRegistryError } from "./errors.js";
import type { SchemaFormat } from "./format.js";
import { registryStatus, type SchemaRegistry } from "./registry.js";

/** Confluent's wire format: the magic byte 0, then the schema id as a 4-byte big-endian integer. */
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/** The schema id in the first bytes of `bytes`, or -1 when they are not in Confluent's wire format. */
export function wireSchemaId(bytes: Buffer): number {
  return bytes.length >= HEADER_BYTES && bytes[0] === MAGIC_BYTE ? bytes.readInt32BE(1) : -1;
}

/** The formats of a reader's value and key; an unset one is left as bytes. */
export interface ReaderFormats {
  /** `valueFormat`: the value is decoded into `message.data`. */
  valueFormat?: SchemaFormat;
  /** `keyFormat`: the key is decoded into `message.keyData`. */
  keyFormat?: SchemaFormat;
}

/**
 * Decodes the messages a reader returns with `@confluentinc/schemaregistry`'s deserializers, each
 * with the schema its bytes name (the writer's schema; looked up once per id, then cached).
 *
 * A record that cannot be decoded does not fail the read: its `message.data` throws a
 * {@link SchemaDecodeError}, so a handler fails on that one message only. A registry that cannot be
 * reached is different — nothing could be decoded — so the decoding waits for it, trying again with a
 * growing pause until `signal` aborts.
 */
export class MessageDecoder {
  private deserializers: Promise<{ value?: Deserializer; key?: Deserializer }> | undefined;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly formats: ReaderFormats,
    /** The reader's config key, for the warning while the registry is away. */
    private readonly key: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Decodes every message's value and key into its {@link DECODED} slot. */
  async decode(messages: readonly Message[], signal?: AbortSignal): Promise<void> {
    const { value, key } = await this.open();
    for (const message of messages) {
      const decoded: Decoded = {};
      if (value !== undefined) await this.decodeField(message, "value", value, decoded, signal);
      if (key !== undefined) await this.decodeField(message, "key", key, decoded, signal);
      message[DECODED] = decoded;
    }
  }

  private open(): Promise<{ value?: Deserializer; key?: Deserializer }> {
    this.deserializers ??= this.registry.open().then(({ lib, client }) => {
      const make = (format: SchemaFormat | undefined, serdeType: (typeof lib.SerdeType)[keyof typeof lib.SerdeType]) => {
        const conf = { subjectNameStrategyType: lib.SubjectNameStrategyType.TOPIC };
        if (format === undefined) return undefined;
        return format === "avro"
          ? new lib.AvroDeserializer(client, serdeType, conf)
          : new lib.JsonDeserializer(client, serdeType, { ...conf, validate: true });
      };
      const value = make(this.formats.valueFormat, lib.SerdeType.VALUE);
      const key = make(this.formats.keyFormat, lib.SerdeType.KEY);
      return { ...(value === undefined ? {} : { value }), ...(key === undefined ? {} : { key }) };
    });
    return this.deserializers;
  }

  private async decodeField(
    message: Message,
    field: "value" | "key",
    deserializer: Deserializer,
    decoded: Decoded,
    signal?: AbortSignal,
  ): Promise<void> {
    const bytes = field === "value" ? message.value : message.key;
    if (bytes === null) {
      if (field === "value") decoded.data = null;
      else decoded.keyData = null;
      return;
    }
    try {
      const result: unknown = await this.deserializeWaitingForRegistry(message, field, bytes, deserializer, signal);
      if (field === "value") decoded.data = result;
      else decoded.keyData = result;
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const error = decodeError(message, field, bytes, err);
      if (field === "value") decoded.dataError = error;
      else decoded.keyDataError = error;
    }
  }

  /** deserialize(), tried again while the registry does not answer (a transport failure, or a 5xx). */
  private async deserializeWaitingForRegistry(
    message: Message,
    field: "value" | "key",
    bytes: Buffer,
    deserializer: Deserializer,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
    for (;;) {
      try {
        return await this.registry.call(
          `${this.key}: reading the schema of ${field} at ${where(message)}`,
          () => deserializer.deserialize(message.topic, bytes) as Promise<unknown>,
        );
      } catch (err) {
        const status = registryStatus(err);
        const registryAway = err instanceof SchemaRegistryError && (status === 0 || status >= 500);
        if (!registryAway || signal?.aborted === true) throw err;
        this.warn(`${(err as Error).message}; decoding waits for the registry`);
        await new Promise((resolve) => setTimeout(resolve, backoff.next()));
      }
    }
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
