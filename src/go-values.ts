import { formatDuration } from "./core/duration.js";
import { joinKeyPath } from "./core/table.js";
import {
  fieldTables,
  FIRST_OFFSET,
  LAST_OFFSET,
  type AnyField,
  type AnyFields,
  type ProducerConfig,
  type ReaderConfig,
} from "./kafka-fields.js";
import { INT32_MAX, LIBRDKAFKA_RANGES, type RangedProperty } from "./librdkafka-ranges.js";

// Go ekafka handed its values to kafka-go, which checks little: it reads a value <= 0 as "not set",
// takes any size or duration as written, and lets writeTimeout and batchTimeout be anything. librdkafka
// is stricter (each property has a range; message.timeout.ms must exceed linger.ms; max.poll.interval.ms
// must be at least session.timeout.ms). A file that loaded in Go must load here, so each such value is
// brought to the nearest one librdkafka accepts and one warning says what changed and why. What Go
// refused (negative sizes, readBackoffMin > readBackoffMax, a startOffset other than -1/-2 in a group …)
// is still refused by the checks in config.ts. Which rule applies to which key is the field table's
// `go` entry (kafka-fields.ts); the range is that of the key's first ranged librdkafka property.

/** Receives one message per value changed. */
export type Warn = (message: string) => void;

type Kind = "duration" | "number";

/** Reader fields whose negative value Go refused too (checked in config.ts, after fitting). */
export const notNegativeFields: readonly string[] = Object.entries(fieldTables.reader as AnyFields)
  .filter(([, field]) => field.go?.notNegative === true)
  .map(([name]) => name);

/**
 * `entry` with every field whose Go rule is `zeroIsDefault` set to its default when it is 0 (kafka-go
 * reads 0 as "not set"; keys where 0 is a real value, such as requiredAcks or compression, keep it).
 */
export function zeroAsDefault<T extends object>(entry: T, fields: AnyFields): T {
  const copy: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  for (const [name, field] of Object.entries(fields)) {
    if (field.go?.zeroIsDefault === true && copy[name] === 0 && "default" in field) copy[name] = field.default;
  }
  return copy as T;
}

/**
 * A producer's values as librdkafka can take them: negative values give the default (as in kafka-go),
 * values beyond librdkafka's range are capped, and a writeTimeout not longer than batchTimeout becomes
 * batchTimeout + writeTimeout (librdkafka counts the wait for the batch in the message's timeout; kafka-go
 * applied writeTimeout to each write after the batch was sent).
 */
export function fitProducer(producer: ProducerConfig, keyPath: string, warn: Warn): ProducerConfig {
  const fields: AnyFields = fieldTables.producer;
  const fitted = fitFields(zeroAsDefault(producer, fields), fields, keyPath, warn, true);
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
export function fitReader(reader: ReaderConfig, tree: "consumers" | "consumerGroups", keyPath: string, warn: Warn): ReaderConfig {
  const inGroup = reader.groupID !== undefined;
  const fields: AnyFields = tree === "consumers" ? fieldTables.consumer : fieldTables.reader;
  const fitted = fitFields(zeroAsDefault(reader, fields), fields, keyPath, warn, inGroup);
  const key = (field: string) => joinKeyPath(keyPath, field);
  if (inGroup && fitted.partition === 0) delete fitted.partition; // Go's zero value: not set
  if (!inGroup && fitted.startOffset !== FIRST_OFFSET && fitted.startOffset !== LAST_OFFSET) {
    warn(
      `${key("startOffset")}: ${fitted.startOffset} is not -2 (oldest) or -1 (newest); without a groupID kafka-go ignored it and read from the oldest offset, and so does this consumer`,
    );
    fitted.startOffset = FIRST_OFFSET;
  }
  // The session and heartbeat are the broker's with the consumer protocol (KIP-848): nothing to reconcile.
  if (fitted.groupProtocol !== "classic") return fitted;
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

function fitFields<T extends object>(entry: T, fields: AnyFields, keyPath: string, warn: Warn, inGroup: boolean): T {
  const fitted = { ...entry } as Record<string, unknown>;
  for (const [name, field] of Object.entries(fields)) {
    const value = fitted[name];
    if (typeof value !== "number" || (field.type !== "number" && field.type !== "duration")) continue;
    const kind: Kind = field.type;
    const key = joinKeyPath(keyPath, name);
    const property = rangedProperty(field);
    const { negativeIsDefault = false, groupOnly = false } = field.go ?? {};
    if (value < 0 && field.default !== undefined && (negativeIsDefault || (groupOnly && !inGroup))) {
      // Without a group kafka-go never looked at a group-only value: nothing to report.
      if (negativeIsDefault)
        warn(`${key}: ${show(value, kind)} is negative; kafka-go read it as not set, so the default ${show(field.default, kind)} applies`);
      fitted[name] = field.default;
      continue;
    }
    if (property === undefined) continue;
    const [least, most] = LIBRDKAFKA_RANGES[property];
    if (value > most) {
      fitted[name] = capped(value, most, kind, key, `librdkafka's ${property}`, warn);
    } else if (value > 0 && value < least) {
      warn(`${key}: ${show(value, kind)} is below the least ${property} librdkafka accepts; ${show(least, kind)} is used`);
      fitted[name] = least;
    }
  }
  return fitted as T;
}

/** The librdkafka property whose range bounds the key's value: its first ranged one. */
function rangedProperty(field: AnyField): RangedProperty | undefined {
  for (const mapping of field.librdkafka ?? []) if (mapping.ranged === true) return mapping.name;
  return undefined;
}

function capped(value: number, most: number, kind: Kind, key: string, what: string, warn: Warn): number {
  if (value <= most) return value;
  warn(`${key}: ${show(value, kind)} is more than ${what} accepts; ${show(most, kind)} is used`);
  return most;
}

function show(value: number, kind: Kind): string {
  return kind === "duration" ? formatDuration(value) : String(value);
}
