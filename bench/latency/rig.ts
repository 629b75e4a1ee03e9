/**
 * What a contender provides for the latency run: a consumer that reports each value it handles, and a
 * way to write one message. The harness (measure.ts) paces the writes and times the round trips.
 */
export interface LatencyRig {
  /** Starts consuming; `onValue` is called with each message's value from inside the handler. */
  start(onValue: (value: Buffer) => void): Promise<void>;
  /** Writes one message (not awaited by the harness: writes overlap as an application's would). */
  send(value: Buffer): Promise<unknown>;
  /** Stops consuming and closes every client. */
  stop(): Promise<void>;
}
