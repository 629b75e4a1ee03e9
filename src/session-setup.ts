import type { ConsumerPort, ConsumerPortHooks } from "./consumer-port.js";
import type { ReaderConfig } from "./config.js";
import type { LibrdkafkaProperties } from "./librdkafka-properties.js";
import type { Logger } from "pino";
import type { PropertyOrigins } from "./refused-config.js";

// What a consumer session is built from and how it is waited on (see ConsumerSession).

/** How a session gets its partitions. */
export type SessionSource = { kind: "group"; topics: string[] } | { kind: "partition"; topic: string; partition: number; offset: number };

/** Everything a session is built from. */
export interface SessionSetup {
  key: string;
  config: ReaderConfig;
  properties: LibrdkafkaProperties;
  source: SessionSource;
  logger: Logger;
  /** Timeout of connecting and of coordinator calls. */
  requestTimeoutMs: number;
  /** Whether a revocation waits for the application (ConsumerGroup) or completes at once (Consumer); see {@link RevocationHandshake}. */
  deferRevocation: boolean;
  /** Where `properties` come from, to name the key behind a configuration librdkafka refuses. */
  origins?: PropertyOrigins;
  /** Makes the native client (default: librdkafka's, {@link nativeConsumerPort}); tests pass a fake. */
  port?: (hooks: ConsumerPortHooks) => ConsumerPort;
  /**
   * Makes the standby consumer that fetches the kept partitions while librdkafka pauses them in a
   * rebalance (see {@link StandbyFetch}); by default one of librdkafka's for a group member with
   * incremental rebalancing whose revocations wait for the application, none otherwise. Tests pass a fake.
   */
  standbyPort?: () => ConsumerPort | undefined;
  /** Waits a backoff step, ending early when `signal` aborts (default: a timer); tests pass one they control. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Options of a wait for the next event. */
export interface NextOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** False: a RevokedPartitions handed out before is left for its own release() (default true: released first). */
  releaseRevoked?: boolean;
}
