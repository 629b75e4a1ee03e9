import { FIRST_OFFSET, LAST_OFFSET, type ProducerConfig, type ReaderConfig } from "./config.js";
import { formatDuration } from "./core/duration.js";
import { joinKeyPath } from "./core/table.js";
import { INT32_MAX, LIBRDKAFKA_RANGES, type RangedProperty } from "./librdkafka-ranges.js";

// Go ekafka handed its values to kafka-go, which checks little: it reads a value <= 0 as "not set",
// takes any size or duration as written, and lets writeTimeout and batchTimeout be anything. librdkafka
// is stricter (each property has a range; message.timeout.ms must exceed linger.ms; max.poll.interval.ms
// must be at least session.timeout.ms). A file that loaded in Go must load here, so each such value is
// brought to the nearest one librdkafka accepts and one warning says what changed and why. What Go
// refused (negative sizes, readBackoffMin > readBackoffMax, a startOffset other than -1/-2 in a group …)
// is still refused by the checks in config.ts.

/** Receives one message per value changed. */
export type Warn = (message: string) => void;

type Kind = "duration" | "number";

/** A numeric field and the librdkafka property whose range bounds it. */
interface Bounded<T> {
  field: keyof T & string;
  kind: Kind;
  property?: RangedProperty;
  /** Go reads a negative value as "not set" (kafka-go's `if x > 0`): the default applies. */
  negativeMeansDefault?: boolean;
  /** Readers only: the field means something only in a group (kafka-go ignores it otherwise). */
  groupOnly?: boolean;
}

const PRODUCER_FIELDS: ReadonlyArray<Bounded<ProducerConfig>> = [
  { field: "maxAttempts", kind: "number", negativeMeansDefault: true },
  { field: "batchSize", kind: "number", property: "batch.num.messages", negativeMeansDefault: true },
  { field: "batchBytes", kind: "number", property: "batch.size", negativeMeansDefault: true },
  { field: "batchTimeout", kind: "duration", property: "linger.ms", negativeMeansDefault: true },
  { field: "readTimeout", kind: "duration", property: "socket.timeout.ms", negativeMeansDefault: true },
  { field: "writeTimeout", kind: "duration", property: "message.timeout.ms", negativeMeansDefault: true },
];

const READER_FIELDS: ReadonlyArray<Bounded<ReaderConfig>> = [
  { field: "minBytes", kind: "number", property: "fetch.min.bytes" },
  { field: "maxBytes", kind: "number", property: "max.partition.fetch.bytes" },
  { field: "maxWait", kind: "duration", property: "fetch.wait.max.ms", negativeMeansDefault: true },
  { field: "timeout", kind: "duration", negativeMeansDefault: true },
  { field: "commitInterval", kind: "duration", property: "auto.commit.interval.ms", groupOnly: true },
  { field: "heartbeatInterval", kind: "duration", property: "heartbeat.interval.ms", groupOnly: true },
  { field: "sessionTimeout", kind: "duration", property: "session.timeout.ms", groupOnly: true },
  { field: "rebalanceTimeout", kind: "duration", property: "max.poll.interval.ms", groupOnly: true },
  { field: "joinGroupBackoff", kind: "duration", groupOnly: true },
  { field: "partitionWatchInterval", kind: "duration", property: "topic.metadata.refresh.interval.ms", groupOnly: true },
  { field: "readBackoffMin", kind: "duration", property: "retry.backoff.ms" },
  { field: "readBackoffMax", kind: "duration", property: "retry.backoff.max.ms" },
];

/**
 * A producer's values as librdkafka can take them: negative values give the default (as in kafka-go),
 * values beyond librdkafka's range are capped, and a writeTimeout not longer than batchTimeout becomes
 * batchTimeout + writeTimeout (librdkafka counts the wait for the batch in the message's timeout; kafka-go
 * applied writeTimeout to each write after the batch was sent).
 *
 * @param defaults the schema's defaults, for the negative values kafka-go read as "not set"
 */
export function fitProducer(producer: ProducerConfig, defaults: Partial<ProducerConfig>, keyPath: string, warn: Warn): ProducerConfig {
  const fitted = fitFields(producer, PRODUCER_FIELDS, defaults, keyPath, warn, true);
  fitted.maxAttempts = capped(
    fitted.maxAttempts,
    INT32_MAX,
    "number",
    joinKeyPath(keyPath, "maxAttempts"),
    "librdkafka's message.send.max.retries",
    warn,
  );
  if (fitted.compression < 0) {
    warn(
      `${joinKeyPath(keyPath, "compression")}: ${fitted.compression} means no compression (Go ekafka compressed only when compression > 0); read as 0`,
    );
    fitted.compression = 0;
  }
  if (fitted.writeTimeout <= fitted.batchTimeout) {
    const covering = Math.min(fitted.batchTimeout + fitted.writeTimeout, INT32_MAX);
    warn(
      `${joinKeyPath(keyPath, "writeTimeout")}: ${formatDuration(fitted.writeTimeout)} is not longer than batchTimeout ` +
        `(${formatDuration(fitted.batchTimeout)}). kafka-go applied writeTimeout to each write once the batch was sent; librdkafka's ` +
        `message.timeout.ms also covers the wait for the batch and must exceed it, so a write may take up to ` +
        `${formatDuration(covering)} (batchTimeout + writeTimeout) before it fails`,
    );
    fitted.writeTimeout = covering;
  }
  return fitted;
}

/**
 * A reader's values as librdkafka can take them: negative maxWait/timeout give the default, values
 * beyond librdkafka's range are capped, group-only values of a reader without a group are left at their
 * defaults (kafka-go ignored them), a rebalanceTimeout below sessionTimeout is raised to it, and a
 * startOffset other than -1/-2 of a reader without a group reads from the oldest offset, as kafka-go did.
 */
export function fitReader(reader: ReaderConfig, defaults: Partial<ReaderConfig>, keyPath: string, warn: Warn): ReaderConfig {
  const inGroup = reader.groupID !== undefined;
  const fitted = fitFields(reader, READER_FIELDS, defaults, keyPath, warn, inGroup);
  const key = (field: string) => joinKeyPath(keyPath, field);
  if (inGroup && fitted.partition === 0) delete fitted.partition; // Go's zero value: not set
  if (!inGroup && fitted.startOffset !== FIRST_OFFSET && fitted.startOffset !== LAST_OFFSET) {
    warn(
      `${key("startOffset")}: ${fitted.startOffset} is not -2 (oldest) or -1 (newest); without a groupID kafka-go ignored it and read from the oldest offset, and so does this consumer`,
    );
    fitted.startOffset = FIRST_OFFSET;
  }
  if (inGroup && fitted.sessionTimeout >= 0 && fitted.rebalanceTimeout >= 0 && fitted.rebalanceTimeout < fitted.sessionTimeout) {
    warn(
      `${key("rebalanceTimeout")}: ${formatDuration(fitted.rebalanceTimeout)} is shorter than sessionTimeout (${formatDuration(fitted.sessionTimeout)}); ` +
        `librdkafka's max.poll.interval.ms must be at least session.timeout.ms, so ${formatDuration(fitted.sessionTimeout)} is used`,
    );
    fitted.rebalanceTimeout = fitted.sessionTimeout;
  }
  if (inGroup && fitted.heartbeatInterval >= fitted.sessionTimeout && fitted.sessionTimeout > 0) {
    warn(
      `${key("heartbeatInterval")}: ${formatDuration(fitted.heartbeatInterval)} is not shorter than sessionTimeout (${formatDuration(fitted.sessionTimeout)}); ` +
        "kept as in Go, but the coordinator will drop this member between heartbeats: make it about a third of sessionTimeout",
    );
  }
  return fitted;
}

function fitFields<T extends object>(
  entry: T,
  fields: ReadonlyArray<Bounded<T>>,
  defaults: Partial<T>,
  keyPath: string,
  warn: Warn,
  inGroup: boolean,
): T {
  const fitted = { ...entry } as Record<string, unknown>;
  for (const { field, kind, property, negativeMeansDefault, groupOnly } of fields) {
    const value = fitted[field];
    if (typeof value !== "number") continue;
    const key = joinKeyPath(keyPath, field);
    const fallback = (defaults as Record<string, unknown>)[field];
    if (value < 0 && typeof fallback === "number" && (negativeMeansDefault || (groupOnly && !inGroup))) {
      // Without a group kafka-go never looked at a group-only value: nothing to report.
      if (negativeMeansDefault)
        warn(`${key}: ${show(value, kind)} is negative; kafka-go read it as not set, so the default ${show(fallback, kind)} applies`);
      fitted[field] = fallback;
      continue;
    }
    if (property !== undefined && value > LIBRDKAFKA_RANGES[property][1]) {
      fitted[field] = capped(value, LIBRDKAFKA_RANGES[property][1], kind, key, `librdkafka's ${property}`, warn);
    } else if (property !== undefined && value > 0 && value < LIBRDKAFKA_RANGES[property][0]) {
      const least = LIBRDKAFKA_RANGES[property][0];
      warn(`${key}: ${show(value, kind)} is below the least ${property} librdkafka accepts; ${show(least, kind)} is used`);
      fitted[field] = least;
    }
  }
  return fitted as T;
}

function capped(value: number, most: number, kind: Kind, key: string, what: string, warn: Warn): number {
  if (value <= most) return value;
  warn(`${key}: ${show(value, kind)} is more than ${what} accepts; ${show(most, kind)} is used`);
  return most;
}

function show(value: number, kind: Kind): string {
  return kind === "duration" ? formatDuration(value) : String(value);
}
