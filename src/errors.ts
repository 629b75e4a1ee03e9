import kafka from "@confluentinc/kafka-javascript";

/**
 * librdkafka's error codes by name, to compare with {@link KafkaError.code}: e.g.
 * `err.code === ErrorCodes.ERR__TRANSPORT` (-195). Negative codes are the client's own, positive ones the
 * broker's.
 */
const CODES = kafka.CODES.ERRORS;

/** librdkafka's error shape, as the native client hands it over. */
interface NativeError {
  message?: string;
  code?: number;
  isFatal?: boolean;
  isRetriable?: boolean;
}

/**
 * An error from Kafka or from the client, with the operation and the instance it happened in.
 *
 * `code` is librdkafka's error code (negative for client-side errors, positive for broker errors);
 * `retriable` says whether trying again may succeed (a broker restarting, a leader moving), `fatal`
 * that the client can no longer be used.
 */
export class KafkaError extends Error {
  /** Always "KafkaError", so the error is recognisable in logs and after serialisation, where `instanceof` is gone. */
  override readonly name = "KafkaError";
  /** librdkafka's error code, e.g. -195 (transport failure) or 10 (message too large); 0 when none. */
  readonly code: number;
  /** What was being done, e.g. "WriteMessages", "connect", "CommitMessages". */
  readonly operation: string;
  /** The config key of the instance, e.g. "kafka.producers.p1". */
  readonly key: string;
  /** Trying the operation again may succeed: the cause is transient (a broker restarting, a leader moving, a timeout). */
  readonly retriable: boolean;
  /** The client instance can no longer be used: librdkafka raised a fatal error (e.g. an idempotent producer's sequence broke). */
  readonly fatal: boolean;

  constructor(
    message: string,
    fields: { code?: number; operation: string; key: string; retriable?: boolean; fatal?: boolean; cause?: unknown },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = fields.code ?? 0;
    this.operation = fields.operation;
    this.key = fields.key;
    this.retriable = fields.retriable ?? false;
    this.fatal = fields.fatal ?? false;
  }
}

/** Thrown when an instance is used after `close()`. */
export class ClosedError extends Error {
  /** Always "ClosedError", so the error is recognisable in logs and after serialisation. */
  override readonly name = "ClosedError";
  constructor(what: string, operation: string) {
    super(`${what} is closed: ${operation}() was called after close()`);
  }
}

/** Error codes after which trying again is reasonable even when librdkafka does not flag them. */
const TRANSIENT_CODES = new Set<number>([
  CODES.ERR__TRANSPORT,
  CODES.ERR__ALL_BROKERS_DOWN,
  CODES.ERR__TIMED_OUT,
  CODES.ERR__MSG_TIMED_OUT,
  CODES.ERR__RESOLVE,
  CODES.ERR_REQUEST_TIMED_OUT,
  CODES.ERR_NOT_LEADER_FOR_PARTITION,
  CODES.ERR_LEADER_NOT_AVAILABLE,
  CODES.ERR_NOT_ENOUGH_REPLICAS,
  CODES.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  CODES.ERR_NOT_COORDINATOR_FOR_GROUP,
  CODES.ERR_COORDINATOR_NOT_AVAILABLE,
  CODES.ERR_REBALANCE_IN_PROGRESS,
  CODES.ERR__WAIT_COORD,
  CODES.ERR_NETWORK_EXCEPTION,
]);

/** Plain-language explanations of the errors users meet most, appended to librdkafka's text. */
const HINTS: Record<number, string> = {
  [CODES.ERR__AUTHENTICATION]: "authentication failed: check saslMechanism, saslUserName and saslPassword",
  [CODES.ERR_MSG_SIZE_TOO_LARGE]: "the message is larger than the broker or topic allows (message.max.bytes / max.message.bytes)",
  [CODES.ERR_UNKNOWN_TOPIC_OR_PART]: "the topic or partition does not exist (and was not created automatically)",
  [CODES.ERR__UNKNOWN_TOPIC]: "the topic does not exist (and was not created automatically)",
  [CODES.ERR__UNKNOWN_PARTITION]: "the partition does not exist in this topic",
  [CODES.ERR_TOPIC_AUTHORIZATION_FAILED]: "this user may not access the topic",
  [CODES.ERR_GROUP_AUTHORIZATION_FAILED]: "this user may not use the consumer group",
  [CODES.ERR__ALL_BROKERS_DOWN]: "no broker answers: check brokers and that the cluster is up",
  [CODES.ERR__TRANSPORT]: "the connection to a broker failed",
};

/** Explanations recognised by librdkafka's text rather than its code (TLS failures share one code). */
const TEXT_HINTS: ReadonlyArray<{ pattern: RegExp; hint: string }> = [
  {
    pattern: /certificate verify failed|certificate could not be verified/i,
    hint:
      "the broker's TLS certificate could not be verified: check tls.caFile (the CA that signed the brokers' " +
      "certificates; without it the system's CAs are used), or set tls.insecureSkipVerify on a test cluster",
  },
  {
    pattern: /alert (bad certificate|certificate required|unknown ca)/i,
    hint: "the broker refused the client certificate: check tls.certFile and tls.keyFile (mutual TLS) and that the broker trusts their CA",
  },
  {
    pattern: /ssl\.(key|certificate|ca)\.location failed/i,
    hint: "a TLS file could not be loaded: check tls.caFile, tls.certFile and tls.keyFile, and that tls.keyPassword decrypts tls.keyFile",
  },
];

/** What to check for a failure whose text librdkafka gives (a TLS file it could not load, say), if known. */
export function hintForText(text: string): string | undefined {
  return TEXT_HINTS.find(({ pattern }) => pattern.test(text))?.hint;
}

/**
 * Wraps what the native client reported into a KafkaError that names the operation and the instance.
 *
 * @param detail the last broker failure librdkafka logged, when known: its connect errors only say
 *   "broker transport failure", the reason (such as invalid SASL credentials) is in its log.
 */
export function toKafkaError(err: unknown, operation: string, key: string, detail?: string): KafkaError {
  if (err instanceof KafkaError) return err;
  const native = (typeof err === "object" && err !== null ? err : { message: String(err) }) as NativeError;
  const code = typeof native.code === "number" ? native.code : 0;
  const text = native.message ?? String(err);
  const parts = [`${key}: ${operation} failed: ${text}`];
  const hint = HINTS[code];
  if (hint !== undefined && !text.toLowerCase().includes(hint.toLowerCase())) parts.push(hint);
  const textHint = hintForText(`${text}\n${detail ?? ""}`);
  if (textHint !== undefined) parts.push(textHint);
  if (detail !== undefined && detail !== "" && detail !== text) parts.push(`last broker error: ${detail}`);
  return new KafkaError(parts.join("; "), {
    code,
    // The message says where ("FetchMessage (topic t)"); the field keeps the bare operation name.
    operation: operation.replace(/ \(.*\)$/, ""),
    key,
    retriable: native.isRetriable === true || TRANSIENT_CODES.has(code),
    fatal: native.isFatal === true,
    cause: err,
  });
}

/** Whether `err` is a KafkaError with one of the given codes. */
export function hasCode(err: unknown, ...codes: number[]): boolean {
  return err instanceof KafkaError && codes.includes(err.code);
}

export { CODES as ErrorCodes };
