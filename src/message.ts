/** One Kafka record header. Kafka allows repeated keys, so headers are a list, not a map. */
export interface Header {
  /** The header's name; the same name may occur more than once in a record. */
  key: string;
  /** The header's bytes as they are on the wire (`Message.header(key)` reads them as UTF-8 text). */
  value: Buffer;
}

/** Headers as a caller may give them when writing: a list, or a plain object of name to value. */
export type HeadersInput =
  | ReadonlyArray<{
      /** The header's name; a list may repeat a name, which Kafka keeps. */
      key: string;
      /** The header's value; a string is written as UTF-8. */
      value: string | Buffer;
    }>
  | Readonly<Record<string, string | Buffer>>;

/**
 * What a caller hands to `Producer.writeMessages`. Only `value` is required.
 *
 * A producer with `valueFormat` / `keyFormat` (Avro, JSON Schema) takes the value / key as the object to
 * serialize; without one, as bytes or a string.
 */
export interface MessageInput {
  /** Overrides the producer's configured topic for this message. */
  topic?: string;
  /** Sends the message to this partition, bypassing the balancer. */
  partition?: number;
  /**
   * The record's key (a string is written as UTF-8). Absent or null: no key, and the producer's
   * balancer picks the partition without one.
   */
  key?: string | Buffer | null | object;
  /**
   * The record's value (a string is written as UTF-8); null writes a tombstone on a compacted topic. An
   * object (or any value the schema describes) only with the producer's `valueFormat`.
   */
  value: string | Buffer | null | object;
  /** The record's headers; none when absent. */
  headers?: HeadersInput;
  /** The record's timestamp; the broker's/producer's clock when absent. */
  time?: Date;
}

/** The fields a Message is built from; only `topic` is required. */
export interface MessageFields {
  /** The topic the record belongs to. */
  topic: string;
  /** Its partition; -1 (not chosen yet) when absent. */
  partition?: number;
  /** Its offset in the partition; -1 (not written yet) when absent. */
  offset?: number;
  /** The partition's high-water mark when the record was fetched; -1 (unknown) when absent. */
  highWaterMark?: number;
  /** The record's key; null when absent. */
  key?: Buffer | null;
  /** The record's value; null when absent. */
  value?: Buffer | null;
  /** The record's headers; an empty list when absent. */
  headers?: Header[];
  /** The record's timestamp; the time the Message is made when absent. */
  time?: Date;
}

/**
 * The headers of every written message that came without any: one shared, frozen empty list, so a
 * write does not allocate one per message. Frozen so that a `push` onto it fails loudly instead of
 * adding the header to every such message; `setHeader` (or assigning a new list) is the way to add one.
 */
export const NO_HEADERS: Header[] = Object.freeze([]) as unknown as Header[];

/**
 * The slot in which a producer keeps, while a message is in flight, the write it belongs to (the message
 * itself travels through librdkafka as its delivery report's opaque). Declared on every Message so that
 * setting it neither changes the object's shape nor allocates on the hot path. Not part of the API.
 */
export const IN_FLIGHT: unique symbol = Symbol("ekafka.inFlight");

/**
 * The slot holding what a reader with `valueFormat` / `keyFormat` decoded from a message (see
 * {@link Message.data}). Declared on every Message so that a decoded message keeps its shape. Not part
 * of the API.
 */
export const DECODED: unique symbol = Symbol("ekafka.decoded");

/** What was decoded from one message: each field's value, or the error decoding it met. */
export interface Decoded {
  /** The decoded value, when the reader has a valueFormat and decoding succeeded. */
  data?: unknown;
  /** Why the value could not be decoded. */
  dataError?: Error;
  /** The decoded key, when the reader has a keyFormat and decoding succeeded. */
  keyData?: unknown;
  /** Why the key could not be decoded. */
  keyDataError?: Error;
}

/**
 * A Kafka record, as written by a producer or read by a consumer.
 *
 * The same type flows through the interceptor chain in both directions: on a write `offset` and
 * `highWaterMark` are -1 until the broker has acknowledged it.
 */
export class Message {
  /** The topic the record was read from or is written to. */
  topic: string;
  /**
   * The record's partition. On a write, -1 until the producer's balancer (or `MessageInput.partition`)
   * has chosen one, then that partition.
   */
  partition: number;
  /** The record's offset in its partition; on a write, -1 until the broker has acknowledged it. */
  offset: number;
  /** The partition's high-water mark when the message was fetched (-1 when unknown). */
  highWaterMark: number;
  /** The record's key as bytes, null when it has none; {@link keyString} reads it as text. */
  key: Buffer | null;
  /** The record's value as bytes, null for a tombstone; {@link valueString} reads it as text. */
  value: Buffer | null;
  /**
   * The record's headers. On a message written without headers this is a shared frozen empty list:
   * add headers with {@link setHeader} or by assigning a new list, not by pushing onto it.
   */
  headers: Header[];
  /** @internal the producer's bookkeeping while the message is in flight (see IN_FLIGHT) */
  [IN_FLIGHT]: unknown = undefined;
  /** @internal what a reader with valueFormat / keyFormat decoded (see DECODED) */
  [DECODED]: Decoded | undefined = undefined;
  /**
   * The record's time as a Date, or, for a message read and not asked for its time yet, its epoch ms:
   * `new Date(ms)` costs about 130 ns on Node 20, more than the rest of making a read message, so a read
   * message makes its Date on first use.
   */
  #time: Date | number;

  constructor(fields: MessageFields);
  /** Positional form, used where messages are made in bulk (no fields object per message). */
  constructor(
    topic: string,
    partition: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: Header[],
    time: Date | number,
    offset?: number,
    highWaterMark?: number,
  );
  constructor(
    fields: MessageFields | string,
    partition?: number,
    key?: Buffer | null,
    value?: Buffer | null,
    headers?: Header[],
    time?: Date | number,
    offset = -1,
    highWaterMark = -1,
  ) {
    if (typeof fields === "string") {
      this.topic = fields;
      this.partition = partition!;
      this.offset = offset;
      this.highWaterMark = highWaterMark;
      this.key = key!;
      this.value = value!;
      this.headers = headers!;
      this.#time = time!;
      return;
    }
    this.topic = fields.topic;
    this.partition = fields.partition ?? -1;
    this.offset = fields.offset ?? -1;
    this.highWaterMark = fields.highWaterMark ?? -1;
    this.key = fields.key ?? null;
    this.value = fields.value ?? null;
    this.headers = fields.headers ?? [];
    this.#time = fields.time ?? new Date();
  }

  /** The record's timestamp: on a read, the one Kafka stored (create or log-append time, as the topic is set). */
  get time(): Date {
    if (typeof this.#time === "number") this.#time = new Date(this.#time);
    return this.#time;
  }

  /** Sets the record's timestamp (a write sends it; messages written without one get the write's time). */
  set time(time: Date) {
    this.#time = time;
  }

  /** The record's timestamp in epoch milliseconds (no Date made). */
  get timestamp(): number {
    return typeof this.#time === "number" ? this.#time : this.#time.getTime();
  }

  /**
   * The value decoded with the reader's `valueFormat` (an Avro record, a JSON Schema document), decoded
   * before the message was returned; `value` keeps the raw bytes. Undefined when the reader has no
   * valueFormat, null for a tombstone.
   * @throws SchemaDecodeError naming topic, partition, offset and schema id, when the value could not be
   *   decoded (in a Consumer Server the handler then fails, not recoverably)
   */
  get data(): unknown {
    const decoded = this[DECODED];
    if (decoded?.dataError !== undefined) throw decoded.dataError;
    return decoded?.data;
  }

  /**
   * The key decoded with the reader's `keyFormat`; `key` keeps the raw bytes. Undefined when the reader
   * has no keyFormat, null when the record has no key.
   * @throws SchemaDecodeError when the key could not be decoded
   */
  get keyData(): unknown {
    const decoded = this[DECODED];
    if (decoded?.keyDataError !== undefined) throw decoded.keyDataError;
    return decoded?.keyData;
  }

  /** Why the value or key could not be decoded, without throwing; undefined when both were (or there was nothing to decode). */
  get decodeError(): Error | undefined {
    return this[DECODED]?.dataError ?? this[DECODED]?.keyDataError;
  }

  /** The JSON form of a message lists `time` with its fields, as it did when `time` was a plain field. */
  toJSON(): Record<string, unknown> {
    const { topic, partition, offset, highWaterMark, key, value, headers } = this;
    return { topic, partition, offset, highWaterMark, key, value, headers, time: this.time };
  }

  /** The last value of the header `key` as UTF-8 text, or undefined when absent. */
  header(key: string): string | undefined {
    for (let i = this.headers.length - 1; i >= 0; i--) {
      const h = this.headers[i]!;
      if (h.key === key) return h.value.toString("utf8");
    }
    return undefined;
  }

  /** Replaces every header named `key` with one header of the given value. */
  setHeader(key: string, value: string | Buffer): void {
    this.headers = this.headers.filter((h) => h.key !== key);
    this.headers.push({ key, value: toBuffer(value) });
  }

  /** The value as UTF-8 text ("" for a null value). */
  valueString(): string {
    return this.value?.toString("utf8") ?? "";
  }

  /** The key as UTF-8 text ("" for a null key). */
  keyString(): string {
    return this.key?.toString("utf8") ?? "";
  }
}

/**
 * Turns what a caller wrote into a Message for `defaultTopic`; `now` is the time given to messages that
 * bring none (one Date for a whole write, not one per message).
 *
 * @param index the message's position in its write call, named in errors
 * @throws TypeError naming the message's index, the field and what was expected, when a field has a
 *   type the client cannot send (see {@link checkMessageInput})
 */
export function messageFromInput(input: MessageInput, defaultTopic: string, now: Date = new Date(), index = 0): Message {
  checkMessageInput(input, index);
  // checkMessageInput let only bytes, strings and null through.
  const key = input.key as string | Buffer | null | undefined;
  const value = input.value as string | Buffer | null;
  return new Message(
    input.topic ?? defaultTopic,
    input.partition ?? -1,
    key == null ? null : typeof key === "string" ? Buffer.from(key, "utf8") : key,
    value == null ? null : typeof value === "string" ? Buffer.from(value, "utf8") : value,
    input.headers === undefined ? NO_HEADERS : normalizeHeaders(input.headers),
    input.time ?? now,
  );
}

/**
 * Checks the fields of one message a caller wants to write, before anything of its call is produced:
 * `key` and `value` string, Buffer, null or undefined; `partition` a non-negative integer or undefined;
 * `topic` a non-empty string or undefined; `time` a valid Date or undefined; `headers` a list of
 * `{ key, value }` or a plain object, with string keys and string or Buffer values.
 *
 * The common case (Buffer or string fields, no headers) costs a few `typeof` tests.
 *
 * @throws TypeError `message <index>: <field> must be <expected>, got <what it was>`
 */
export function checkMessageInput(input: MessageInput, index: number): void {
  const { key, value, partition, topic, time, headers } = input;
  if (!isBytes(value)) throw fieldError(index, "value", "a string, a Buffer or null", value);
  if (!isBytes(key)) throw fieldError(index, "key", "a string, a Buffer, null or undefined", key);
  if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0)) {
    throw fieldError(index, "partition", "a non-negative integer or undefined", partition);
  }
  if (topic !== undefined && (typeof topic !== "string" || topic === ""))
    throw fieldError(index, "topic", "a non-empty string or undefined", topic);
  if (time !== undefined && !(time instanceof Date && !Number.isNaN(time.getTime())))
    throw fieldError(index, "time", "a valid Date or undefined", time);
  if (headers !== undefined) checkHeaders(headers, index);
}

function isBytes(field: unknown): boolean {
  return field == null || typeof field === "string" || Buffer.isBuffer(field);
}

function checkHeaders(headers: unknown, index: number): void {
  if (Array.isArray(headers)) {
    headers.forEach((header: unknown, i) => {
      if (header === null || typeof header !== "object") throw fieldError(index, `headers[${i}]`, "an object { key, value }", header);
      const { key, value } = header as { key?: unknown; value?: unknown };
      if (typeof key !== "string") throw fieldError(index, `headers[${i}].key`, "a string", key);
      if (typeof value !== "string" && !Buffer.isBuffer(value))
        throw fieldError(index, `headers[${i}].value`, "a string or a Buffer", value);
    });
    return;
  }
  if (headers === null || typeof headers !== "object")
    throw fieldError(index, "headers", "a list of { key, value } or an object of name to value", headers);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string" && !Buffer.isBuffer(value)) throw fieldError(index, `headers.${name}`, "a string or a Buffer", value);
  }
}

function fieldError(index: number, field: string, expected: string, got: unknown): TypeError {
  return new TypeError(`message ${index}: ${field} must be ${expected}, got ${describeValue(got)}`);
}

/** What a rejected field was, short enough for an error message (never the value's whole content). */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "an invalid Date";
  switch (typeof value) {
    case "number":
    case "bigint":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "string":
      return value === "" ? "an empty string" : "a string";
    case "object":
      return `an object (${value.constructor?.name ?? "no prototype"})`;
    default:
      return typeof value;
  }
}

/** Headers in the one shape the rest of the library uses. */
export function normalizeHeaders(headers: HeadersInput | undefined): Header[] {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) {
    return (headers as ReadonlyArray<{ key: string; value: string | Buffer }>).map((h) => ({
      key: h.key,
      value: toBuffer(h.value),
    }));
  }
  return Object.entries(headers as Record<string, string | Buffer>).map(([key, value]) => ({
    key,
    value: toBuffer(value),
  }));
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value;
}
