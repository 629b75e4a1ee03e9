/** One Kafka record header. Kafka allows repeated keys, so headers are a list, not a map. */
export interface Header {
  key: string;
  value: Buffer;
}

/** Headers as a caller may give them when writing: a list, or a plain object of name to value. */
export type HeadersInput =
  | ReadonlyArray<{ key: string; value: string | Buffer }>
  | Readonly<Record<string, string | Buffer>>;

/** What a caller hands to `Producer.writeMessages`. Only `value` is required. */
export interface MessageInput {
  /** Overrides the producer's configured topic for this message. */
  topic?: string;
  /** Sends the message to this partition, bypassing the balancer. */
  partition?: number;
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: HeadersInput;
  /** The record's timestamp; the broker's/producer's clock when absent. */
  time?: Date;
}

/**
 * A Kafka record, as written by a producer or read by a consumer.
 *
 * The same type flows through the interceptor chain in both directions: on a write `offset` and
 * `highWaterMark` are -1 until the broker has acknowledged it.
 */
export class Message {
  topic: string;
  partition: number;
  offset: number;
  /** The partition's high-water mark when the message was fetched (-1 when unknown). */
  highWaterMark: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
  time: Date;

  constructor(fields: {
    topic: string;
    partition?: number;
    offset?: number;
    highWaterMark?: number;
    key?: Buffer | null;
    value?: Buffer | null;
    headers?: Header[];
    time?: Date;
  }) {
    this.topic = fields.topic;
    this.partition = fields.partition ?? -1;
    this.offset = fields.offset ?? -1;
    this.highWaterMark = fields.highWaterMark ?? -1;
    this.key = fields.key ?? null;
    this.value = fields.value ?? null;
    this.headers = fields.headers ?? [];
    this.time = fields.time ?? new Date();
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
 */
export function messageFromInput(input: MessageInput, defaultTopic: string, now: Date = new Date()): Message {
  return new Message({
    topic: input.topic ?? defaultTopic,
    partition: input.partition ?? -1,
    key: input.key == null ? null : toBuffer(input.key),
    value: input.value == null ? null : toBuffer(input.value),
    headers: normalizeHeaders(input.headers),
    time: input.time ?? now,
  });
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
