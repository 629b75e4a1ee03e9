import type { Assignment, Message as NativeMessage } from "@confluentinc/kafka-javascript";
import type { ConsumerPort } from "./consumer-port.js";
import type { TopicPartition } from "./events.js";
import { Message, type Header } from "./message.js";
import { OFFSET_INVALID } from "./rdkafka.js";

// What the native client hands a session, in ekafka's types.

/** A partition of a rebalance, with its offset when librdkafka gave one. */
export function toTopicPartition(tp: Assignment): TopicPartition {
  return { topic: tp.topic, partition: tp.partition, offset: "offset" in tp && typeof tp.offset === "number" ? tp.offset : OFFSET_INVALID };
}

/**
 * A fetch's messages of the partitions still assigned (messages of a revoked one are dropped: its next
 * owner reads them), each with its partition's high watermark at fetch time.
 */
export function assignedMessages(
  batch: readonly NativeMessage[],
  isAssigned: (topic: string, partition: number) => boolean,
  highWaterMark: (topic: string, partition: number) => number,
): Message[] {
  const messages: Message[] = [];
  let lastTopic: string | undefined;
  let lastPartition = -1;
  let assigned = false;
  let hwm = -1;
  for (const raw of batch) {
    // A fetch returns runs of one partition: look the partition up once per run.
    if (raw.topic !== lastTopic || raw.partition !== lastPartition) {
      lastTopic = raw.topic;
      lastPartition = raw.partition;
      assigned = isAssigned(raw.topic, raw.partition);
      hwm = assigned ? highWaterMark(raw.topic, raw.partition) : -1;
    }
    if (assigned) messages.push(toMessage(raw, hwm));
  }
  return messages;
}

/** A partition's high watermark as the port last saw it; -1 when it knows none (e.g. the partition is no longer assigned). */
export function highWaterMark(port: Pick<ConsumerPort, "watermarks">, topic: string, partition: number): number {
  try {
    return port.watermarks(topic, partition).high;
  } catch {
    return -1;
  }
}

/** A fetched message, with its partition's high watermark at fetch time. */
export function toMessage(raw: NativeMessage, highWaterMark: number): Message {
  // Positional: one object fewer per message read.
  return new Message(
    raw.topic,
    raw.partition,
    raw.key == null ? null : typeof raw.key === "string" ? Buffer.from(raw.key) : raw.key,
    raw.value ?? null,
    toHeaders(raw.headers),
    raw.timestamp ?? Date.now(), // the Date is made on first use of message.time
    raw.offset,
    highWaterMark,
  );
}

function toHeaders(raw: NativeMessage["headers"]): Header[] {
  if (raw === undefined) return [];
  const headers: Header[] = [];
  for (const entry of raw) {
    for (const [key, value] of Object.entries(entry)) headers.push({ key, value: typeof value === "string" ? Buffer.from(value) : value });
  }
  return headers;
}
