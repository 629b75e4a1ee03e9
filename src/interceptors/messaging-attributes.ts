import type { Attributes } from "@opentelemetry/api";
import type { Message } from "../message.js";

/** The instrumentation scope of ekafka's spans. */
export const TRACER_NAME = "ekafka";

/** Longest message key put into a span attribute; keys are ids, but nothing stops a large one. */
const MAX_KEY_LENGTH = 256;

/**
 * The attributes the OpenTelemetry messaging semantic conventions (Kafka) give a span about one message:
 * `messaging.system`, `messaging.operation.type` / `.name`, `messaging.destination.name`,
 * `messaging.destination.partition.id` (once known), `messaging.kafka.message.key`,
 * `messaging.kafka.message.tombstone` and `messaging.message.body.size`.
 */
export function messagingAttributes(message: Message, operation: "send" | "process"): Attributes {
  const attributes: Attributes = {
    "messaging.system": "kafka",
    "messaging.operation.type": operation,
    "messaging.operation.name": operation,
    "messaging.destination.name": message.topic,
    "messaging.message.body.size": message.value?.length ?? 0,
  };
  if (message.partition >= 0) attributes["messaging.destination.partition.id"] = String(message.partition);
  if (message.key !== null) attributes["messaging.kafka.message.key"] = message.key.toString("utf8", 0, MAX_KEY_LENGTH);
  if (message.value === null) attributes["messaging.kafka.message.tombstone"] = true;
  return attributes;
}
