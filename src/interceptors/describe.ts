import type { Message } from "../message.js";

/**
 * Turning what a call carried into text or JSON-safe values for the debug line and the access log.
 * Only what the interceptors see (messages, cmd) passes through here, never configuration, so no
 * secret can reach a log line through it.
 */

/** A message as a JSON-safe object for log lines, its key, value and header values cut to `maxBytes`. */
export interface MessageSummary {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

/** `text` cut to `max` characters, saying how much was cut so a reader knows the value is partial. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…(+${text.length - max} chars)`;
}

/**
 * A payload as readable text: UTF-8 when it is printable UTF-8, else a hex preview (binary payloads such
 * as Avro or protobuf would print as noise, and control characters could garble a terminal).
 */
export function bufferText(buf: Buffer | null, max: number): string | null {
  if (buf === null) return null;
  const head = buf.subarray(0, max * 4); // a UTF-8 character is at most 4 bytes
  const text = printableUtf8(head);
  if (text !== undefined) {
    return buf.length > head.length ? `${text.slice(0, max)}…(${buf.length} bytes)` : truncate(text, max);
  }
  const bytes = Math.max(1, Math.floor(max / 2));
  const hex = buf.subarray(0, bytes).toString("hex");
  return buf.length > bytes ? `0x${hex}…(${buf.length} bytes)` : `0x${hex}`;
}

/** `bytes` decoded, or undefined when they are not UTF-8 or hold control characters other than tab/CR/LF. */
function printableUtf8(bytes: Buffer): string | undefined {
  let text: string;
  try {
    // stream: a multi-byte character cut at the end of `bytes` is not an error.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text) ? undefined : text;
}

/** One message as a JSON-safe object; headers only when it has some. */
export function summarizeMessage(message: Message, maxBytes: number): MessageSummary {
  const summary: MessageSummary = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: bufferText(message.key, maxBytes),
    value: bufferText(message.value, maxBytes),
  };
  if (message.headers.length > 0) {
    summary.headers = {};
    for (const h of message.headers) summary.headers[h.key] = bufferText(h.value, maxBytes) ?? "";
  }
  return summary;
}

/**
 * One message on one line: `topic/partition@offset key="…" value="…" headers=[a,b]`. Header values are
 * left out: they are metadata a debug line does not need, and may carry tokens.
 */
export function messageLine(message: Message, maxBytes: number): string {
  const where = `${message.topic}/${message.partition}${message.offset >= 0 ? `@${message.offset}` : ""}`;
  const parts = [where];
  if (message.key !== null) parts.push(`key=${JSON.stringify(bufferText(message.key, maxBytes))}`);
  parts.push(`value=${JSON.stringify(bufferText(message.value, maxBytes))}`);
  if (message.headers.length > 0) parts.push(`headers=[${message.headers.map((h) => h.key).join(",")}]`);
  return parts.join(" ");
}

/** Up to `limit` messages on one line, with how many there are in all. */
export function messagesLine(messages: readonly Message[], limit: number, maxBytes: number): string {
  const shown = messages.slice(0, limit).map((m) => `{${messageLine(m, maxBytes)}}`);
  const more = messages.length > limit ? ` …+${messages.length - limit} more` : "";
  return `${messages.length} msg${messages.length === 1 ? "" : "s"} [${shown.join(" ")}${more}]`;
}

/**
 * Any request or response value (admin arguments, a Poll event, offsets) as a JSON-safe value:
 * Buffers as text, bigints as strings, Errors as name/message, class instances tagged with their class
 * (so `AssignedPartitions` reads as such), cycles and depth cut off.
 */
export function toPlain(value: unknown, maxBytes: number, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case "string":
      return truncate(value, maxBytes);
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "function":
    case "symbol":
      return String(value);
  }
  const obj = value;
  if (Buffer.isBuffer(obj)) return bufferText(obj, maxBytes);
  if (obj instanceof Date) return obj.toISOString();
  if (obj instanceof Error) return errorText(obj);
  if (seen.has(obj) || depth >= 5) return "[…]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.slice(0, 20).map((v) => toPlain(v, maxBytes, depth + 1, seen));
    if (obj instanceof Map) return toPlain(Object.fromEntries(obj), maxBytes, depth, seen);
    if (obj instanceof Set) return toPlain([...obj], maxBytes, depth, seen);
    const out: Record<string, unknown> = {};
    const className = obj.constructor?.name;
    if (className && className !== "Object") out["type"] = className;
    for (const [k, v] of Object.entries(obj)) out[k] = toPlain(v, maxBytes, depth + 1, seen);
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** A value as compact one-line text (JSON where it can be), cut to `max` characters. */
export function valueText(value: unknown, max: number): string {
  // JSON even for strings: it escapes control characters, and quotes show where a value ends.
  return truncate(JSON.stringify(toPlain(value, max)) ?? "null", max);
}

/** An error as one line: `Name: message (code X)`; anything else thrown as its string form. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return typeof err === "string" ? err : safeString(err);
  const code = (err as { code?: unknown }).code;
  const suffix = typeof code === "string" || typeof code === "number" ? ` (code ${code})` : "";
  return `${err.name}: ${err.message}${suffix}`;
}

function safeString(value: unknown): string {
  try {
    return typeof value === "object" && value !== null ? JSON.stringify(toPlain(value, 1024)) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
