// The three ways a schema-registry value can fail, each naming what a reader of the log needs to find
// the cause: the registry (its URL), the write (producer, field, schema) or the record (topic,
// partition, offset, schema id).

/**
 * The schema registry could not be asked, or refused: unreachable or slower than
 * `kafka.schemaRegistry.timeout`, a schema refused as incompatible, a subject with no schema. The
 * message names `kafka.schemaRegistry.url` and carries the registry's own message.
 */
export class SchemaRegistryError extends Error {
  /** Always "SchemaRegistryError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "SchemaRegistryError";
  /** The registry's URL (never with credentials). */
  readonly url: string;
  /** The registry's HTTP status when it answered (409: incompatible schema; 404: no such subject or id); 0 when it did not. */
  readonly status: number;

  constructor(message: string, fields: { url: string; status?: number; cause?: unknown }) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.url = fields.url;
    this.status = fields.status ?? 0;
  }
}

/**
 * A value (or key) given to `writeMessages` could not be serialized with the producer's schema: a field
 * missing or of the wrong type. Nothing of that write call was sent.
 */
export class SchemaEncodeError extends Error {
  /** Always "SchemaEncodeError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "SchemaEncodeError";
  /** The producer's config key, e.g. "kafka.producers.orders". */
  readonly key: string;
  /** "value" or "key". */
  readonly field: "value" | "key";
  /** Where the schema came from: its file, or "latest version of <subject>". */
  readonly schema: string;

  constructor(message: string, fields: { key: string; field: "value" | "key"; schema: string; cause?: unknown }) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.key = fields.key;
    this.field = fields.field;
    this.schema = fields.schema;
  }
}

/**
 * A record read with `valueFormat` / `keyFormat` could not be decoded: not in Confluent's wire format
 * (the first byte is not the magic byte 0), a schema id the registry does not know, or a payload that
 * does not match its schema. `message.data` (or `message.keyData`) throws it; in a Consumer Server the
 * handler's failure is therefore not recoverable, and the message goes to the dead-letter topic when one
 * is configured.
 */
export class SchemaDecodeError extends Error {
  /** Always "SchemaDecodeError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "SchemaDecodeError";
  /** The record's topic. */
  readonly topic: string;
  /** The record's partition. */
  readonly partition: number;
  /** The record's offset. */
  readonly offset: number;
  /** "value" or "key". */
  readonly field: "value" | "key";
  /** The schema id in the record's first bytes, or -1 when it has none (too short, or the magic byte is wrong). */
  readonly schemaId: number;

  constructor(
    message: string,
    fields: { topic: string; partition: number; offset: number; field: "value" | "key"; schemaId: number; cause?: unknown },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.topic = fields.topic;
    this.partition = fields.partition;
    this.offset = fields.offset;
    this.field = fields.field;
    this.schemaId = fields.schemaId;
  }
}
