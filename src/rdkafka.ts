// The seam between ekafka and the native client (@confluentinc/kafka-javascript, librdkafka): how
// clients are constructed from our property tables, connected, and how their callbacks become promises
// and their errors become KafkaErrors that name our config keys.
import kafka from "@confluentinc/kafka-javascript";
import type { Assignment, LibrdKafkaError } from "@confluentinc/kafka-javascript";
import { ConfigError } from "./core/errors.js";
import { toKafkaError, type KafkaError } from "./errors.js";
import { splitByLevel, type LibrdkafkaProperties } from "./librdkafka-properties.js";
import { redactText } from "./secrets.js";

export { kafka as native };

/** A native client's configuration split the way its constructor takes it (see splitByLevel). */
export type NativeConfig = ReturnType<typeof splitByLevel>;

/**
 * Constructs a native client, turning librdkafka's rejection of a property (an unknown name, a value
 * out of range) into a ConfigError that names the instance's key.
 */
export function constructClient<T>(
  keyPath: string,
  properties: LibrdkafkaProperties,
  construct: (c: NativeConfig) => T,
  secretsFrom: LibrdkafkaProperties = properties,
): T {
  try {
    return construct(splitByLevel(properties));
  } catch (err) {
    const reason = redactText(err instanceof Error ? err.message : String(err), secretsFrom);
    throw new ConfigError(`${keyPath}: librdkafka rejected the configuration: ${reason}`, { key: keyPath });
  }
}

/** What a native consumer can be built with beyond its properties. */
export interface NativeConsumerHooks {
  /** Replaces librdkafka's own rebalance handling (a group member that decides when to release). */
  rebalance?: (err: LibrdKafkaError, assignment: Assignment[]) => void;
}

/**
 * Builds a native consumer: the one place consumers are constructed (readers, the admin client's
 * committed-offset lookups, the build-time property check).
 * @throws ConfigError naming `keyPath` when librdkafka rejects a property
 */
export function nativeConsumer(
  keyPath: string,
  properties: LibrdkafkaProperties,
  hooks: NativeConsumerHooks = {},
  secretsFrom: LibrdkafkaProperties = properties,
): kafka.KafkaConsumer {
  return constructClient(
    keyPath,
    properties,
    (c) => {
      const global: Record<string, unknown> = { ...c.global };
      if (hooks.rebalance !== undefined) global.rebalance_cb = hooks.rebalance;
      // The binding's declarations type the global config narrower than librdkafka's property table.
      return new kafka.KafkaConsumer(global, c.topic);
    },
    secretsFrom,
  );
}

/**
 * Builds a native producer (see {@link nativeConsumer}).
 * @throws ConfigError naming `keyPath` when librdkafka rejects a property
 */
export function nativeProducer(
  keyPath: string,
  properties: LibrdkafkaProperties,
  secretsFrom: LibrdkafkaProperties = properties,
): kafka.Producer {
  return constructClient(keyPath, properties, (c) => new kafka.Producer(c.global, c.topic), secretsFrom);
}

/**
 * Builds a native admin client (see {@link nativeConsumer}); `onLog` receives librdkafka's log lines.
 * @throws ConfigError naming `keyPath` when librdkafka rejects a property
 */
export function nativeAdmin(keyPath: string, properties: LibrdkafkaProperties, onLog: (log: LogEvent) => void): kafka.IAdminClient {
  return constructClient(keyPath, properties, (c) => kafka.AdminClient.create({ ...c.global, ...c.topic }, { "event.log": onLog }));
}

/** Turns a node-style callback API into a promise. */
export function callback<T>(fn: (cb: (err: LibrdKafkaError | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value)));
    } catch (err) {
      reject(err);
    }
  });
}

/** The shape of librdkafka's log events. */
export interface LogEvent {
  severity: number;
  fac: string;
  message: string;
}

/** Broker failures that waiting does not cure, and the error code each is reported with. */
const UNRECOVERABLE_FAILURES: ReadonlyArray<{ pattern: RegExp; code: number }> = [
  { pattern: /SASL authentication error/, code: kafka.CODES.ERRORS.ERR__AUTHENTICATION },
  // The broker's certificate did not verify (wrong or missing CA), or the broker refused ours.
  { pattern: /certificate verify failed|alert (bad certificate|certificate required|unknown ca)/i, code: kafka.CODES.ERRORS.ERR__SSL },
];

/**
 * Remembers the last broker failure a client logged. librdkafka reports a failed connection to its
 * caller only as "broker transport failure"; the reason (refused, invalid SASL credentials, TLS
 * handshake) is in a FAIL log line, which this keeps to put into the error the user sees.
 */
export class FailureLog {
  last: string | undefined;
  private readonly unrecoverableListeners = new Set<(error: Error & { code: number }) => void>();

  constructor(private readonly properties: LibrdkafkaProperties) {}

  /** Listens to a client's log events. */
  attach(client: { on(event: "event.log", listener: (log: LogEvent) => void): unknown }): this {
    client.on("event.log", (log) => this.record(log));
    return this;
  }

  record(log: LogEvent): void {
    if (!(log.severity <= 4 && (log.fac === "FAIL" || log.fac === "ERROR"))) return;
    const last = this.clean(log.message);
    this.last = last;
    const failure = UNRECOVERABLE_FAILURES.find(({ pattern }) => pattern.test(log.message));
    if (failure === undefined) return;
    for (const listener of this.unrecoverableListeners) listener(Object.assign(new Error(last), { code: failure.code }));
  }

  /**
   * Calls `listener` when a broker refuses the credentials or a TLS handshake fails for a reason that
   * retrying does not cure (an unverifiable certificate); returns the function that stops it.
   */
  onUnrecoverableFailure(listener: (error: Error & { code: number }) => void): () => void {
    this.unrecoverableListeners.add(listener);
    return () => this.unrecoverableListeners.delete(listener);
  }

  /** An error for `operation`, with the last broker failure appended. */
  error(err: unknown, operation: string, key: string): KafkaError {
    return toKafkaError(err, operation, key, this.last);
  }

  private clean(message: string): string {
    return redactText(message.replace(/^\[thrd:[^\]]*\]: /, ""), this.properties);
  }
}

/** Whether `err` is one of the failures {@link FailureLog.onUnrecoverableFailure} reports. */
export function isUnrecoverable(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return code === kafka.CODES.ERRORS.ERR__AUTHENTICATION || code === kafka.CODES.ERRORS.ERR__SSL;
}

/** Connects a native client, rejecting after `timeoutMs` with the last broker failure it logged. */
export async function connectClient(
  client: kafka.Producer | kafka.KafkaConsumer,
  failures: FailureLog,
  timeoutMs: number,
  key: string,
): Promise<void> {
  // Refused credentials or an unverifiable certificate will not get better within the timeout: fail
  // as soon as a broker says so.
  let stopListening = () => {};
  const refused = new Promise<never>((_, reject) => {
    stopListening = failures.onUnrecoverableFailure(reject);
  });
  try {
    await Promise.race([callback((cb) => client.connect({ timeout: timeoutMs }, cb)), refused]);
  } catch (err) {
    if (isUnrecoverable(err)) throw failures.error(err, "connect", key);
    const error = failures.error(err, "connect", key);
    throw Object.assign(error, {
      message: `${error.message} (brokers did not answer within ${timeoutMs} ms)`,
    });
  } finally {
    stopListening();
  }
}

/**
 * Settles like `work`, unless `failures` reports an unrecoverable broker failure first: then rejects
 * with it at once, rather than when `work`'s own timeout runs out.
 */
export async function failFast<T>(work: Promise<T>, failures: FailureLog): Promise<T> {
  let stopListening = () => {};
  const refused = new Promise<never>((_, reject) => {
    stopListening = failures.onUnrecoverableFailure(reject);
  });
  work.catch(() => undefined); // when the failure wins, work's later rejection has no other listener
  try {
    return await Promise.race([work, refused]);
  } finally {
    stopListening();
  }
}

/** Disconnects a native client; a client that never connected has nothing to disconnect. */
export async function disconnectClient(client: kafka.Producer | kafka.KafkaConsumer, flushTimeoutMs = 5000): Promise<void> {
  if (!client.isConnected()) return;
  await new Promise<void>((resolve) => {
    if (client instanceof kafka.Producer) client.disconnect(flushTimeoutMs, () => resolve());
    else client.disconnect(() => resolve());
  });
}

/** librdkafka's marker for "no offset": a partition assigned without a known position. */
export const OFFSET_INVALID = -1001;

/** The part of the native consumer its type declarations leave out: a commit that reports back. */
interface CommitWithCallback {
  commitCb(
    offsets: import("@confluentinc/kafka-javascript").TopicPartitionOffset[] | null,
    cb: (err: LibrdKafkaError | null) => void,
  ): void;
}

/**
 * Commits offsets (or, with null, every stored offset) without blocking the event loop, resolving when
 * the coordinator answered.
 */
export function commitAsync(
  client: kafka.KafkaConsumer,
  offsets: import("@confluentinc/kafka-javascript").TopicPartitionOffset[] | null,
): Promise<void> {
  return callback<void>((cb) => (client as unknown as CommitWithCallback).commitCb(offsets, (err) => cb(err, undefined)));
}
