import type {
  Assignment,
  KafkaConsumer,
  LibrdKafkaError,
  Message as NativeMessage,
  TopicPartitionOffset,
} from "@confluentinc/kafka-javascript";
import type { Logger } from "pino";
import { watchStatistics } from "./client-statistics.js";
import type { ReaderConfig } from "./config.js";
import type { ConsumerPort, ConsumerPortHooks } from "./consumer-port.js";
import { ErrorCodes } from "./errors.js";
import type { LibrdkafkaProperties } from "./librdkafka-properties.js";
import type { CommittedOffset } from "./offset-ledger.js";
import { callback, commitAsync, connectClient, disconnectClient, FailureLog, nativeConsumer } from "./rdkafka.js";
import { clientOnlyOrigins, refusedConfigError, type PropertyOrigins } from "./refused-config.js";

/** What the native consumer is built from. */
export interface NativeConsumerSetup {
  key: string;
  properties: LibrdkafkaProperties;
  /** Where the properties come from, to name the key behind a configuration librdkafka refuses. */
  origins?: PropertyOrigins;
  /**
   * `groupID` labels the statistics metrics; a client error repeated within `readBackoffMax` (at least
   * a second) is dropped.
   */
  config: Pick<ReaderConfig, "groupID" | "readBackoffMax">;
  logger: Logger;
  /** Timeout of connecting and of coordinator calls. */
  requestTimeoutMs: number;
  /** Whether its librdkafka statistics feed the metrics of `key` (default true). */
  statistics?: boolean;
}

/** How long one native fetch waits for a first message; short, so rebalances are served promptly. */
const FETCH_WAIT_MS = 100;
/** Errors librdkafka reports on its own that a session passes on (the rest are logged). */
const SURFACED_CLIENT_ERRORS = new Set<number>([ErrorCodes.ERR__AUTHENTICATION, ErrorCodes.ERR__ALL_BROKERS_DOWN]);

/** The {@link ConsumerPort} of a librdkafka KafkaConsumer. */
export function nativeConsumerPort(setup: NativeConsumerSetup, hooks: ConsumerPortHooks): ConsumerPort {
  const { key, requestTimeoutMs } = setup;
  const client = nativeConsumer(key, setup.properties, hooks.rebalance === undefined ? {} : { rebalance: hooks.rebalance });
  const failures = new FailureLog(setup.properties).attach(client);
  client.on("event.error", clientErrors(setup, failures, hooks));
  if (setup.statistics !== false) watchStatistics(client, key, setup.config.groupID ?? "", setup.logger);
  const refused = (reason: string) => refusedConfigError(setup.origins ?? clientOnlyOrigins(key), reason);
  return {
    async connect() {
      await connectClient(client, failures, requestTimeoutMs, key, refused);
      client.setDefaultConsumeTimeout(FETCH_WAIT_MS);
      // Return what is ready after the first message instead of waiting to fill a batch: latency.
      (client as unknown as { setDefaultIsTimeoutOnlyForFirstMessage?: (on: boolean) => void }).setDefaultIsTimeoutOnlyForFirstMessage?.(
        true,
      );
    },
    isConnected: () => client.isConnected(),
    subscribe: (topics) => client.subscribe(topics),
    assign: (partitions) => (incremental(client) ? cooperative(client).incrementalAssign(partitions) : client.assign(partitions)),
    unassign: (partitions) => (incremental(client) ? cooperative(client).incrementalUnassign(partitions) : client.unassign()),
    consume: (max) => callback<NativeMessage[]>((cb) => client.consume(max, cb)),
    store: (offsets) => client.offsetsStore(offsets),
    commit: (offsets) => commitAsync(client, offsets),
    committed: (partitions) => callback<CommittedOffset[]>((cb) => client.committed(partitions, requestTimeoutMs, cb as never)),
    seek: (topic, partition, offset) =>
      callback<void>((cb) => client.seek({ topic, partition, offset }, requestTimeoutMs, (err) => cb(err, undefined))),
    watermarks(topic, partition) {
      const w = client.getWatermarkOffsets(topic, partition);
      return { low: w.lowOffset, high: w.highOffset };
    },
    async queryWatermarks(topic, partition) {
      const w = await callback<{ lowOffset: number; highOffset: number }>((cb) =>
        client.queryWatermarkOffsets(topic, partition, requestTimeoutMs, cb),
      );
      return { low: w.lowOffset, high: w.highOffset };
    },
    offsetsForTimes: (offsets) => callback<TopicPartitionOffset[]>((cb) => client.offsetsForTimes(offsets, requestTimeoutMs, cb)),
    position: () => client.position(),
    pause: (partitions) => client.pause(partitions.map(({ topic, partition }) => ({ topic, partition }))),
    resume: (partitions) => client.resume(partitions.map(({ topic, partition }) => ({ topic, partition }))),
    disconnect: () => disconnectClient(client),
    error: (err, operation) => failures.error(err, operation, key),
    groupHandle: () => client,
  };
}

/**
 * Errors librdkafka raises outside a call. The binding hands them over without their code, so the
 * serious ones (authentication failed, every broker down) are recognised by their text and go to
 * `hooks.error`; the rest are logged. Either way a repeat within readBackoffMax is dropped: librdkafka
 * reports the same failure once per broker and retry.
 */
function clientErrors(setup: NativeConsumerSetup, failures: FailureLog, hooks: ConsumerPortHooks): (err: LibrdKafkaError) => void {
  let last: { key: string; at: number } | undefined;
  return (err) => {
    const code = clientErrorCode(err);
    const error = failures.error({ ...err, message: err.message, code }, "consume", setup.key);
    const now = Date.now();
    const key = `${code}:${err.message}`;
    if (last?.key === key && now - last.at < Math.max(1000, setup.config.readBackoffMax)) return;
    last = { key, at: now };
    if (err.isFatal === true || SURFACED_CLIENT_ERRORS.has(code)) hooks.error(error);
    else setup.logger.warn({ err: error }, "consumer error");
  };
}

/** The code of a client error; the binding loses it for errors raised outside a call, so read the text. */
function clientErrorCode(err: LibrdKafkaError): number {
  if (typeof err.code === "number" && err.code !== -1) return err.code;
  if (/authentication/i.test(err.message)) return ErrorCodes.ERR__AUTHENTICATION;
  if (/all broker connections are down/i.test(err.message)) return ErrorCodes.ERR__ALL_BROKERS_DOWN;
  return err.code;
}

/** The binding's calls of cooperative rebalancing, which its type declarations leave out. */
interface CooperativeClient {
  rebalanceProtocol(): string;
  incrementalAssign(partitions: Assignment[]): void;
  incrementalUnassign(partitions: Assignment[]): void;
}

function cooperative(client: KafkaConsumer): CooperativeClient {
  return client as unknown as CooperativeClient;
}

/**
 * Whether the group's assignments are incremental — the cooperative-sticky assignor or the consumer
 * protocol (KIP-848): each rebalance then names only the partitions added or taken away, and librdkafka
 * refuses the eager assign()/unassign() of the whole set.
 */
function incremental(client: KafkaConsumer): boolean {
  return cooperative(client).rebalanceProtocol() === "COOPERATIVE";
}
