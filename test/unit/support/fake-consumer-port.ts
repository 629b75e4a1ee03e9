// A fake of the session's own seam (ConsumerPort): it writes down every native call in order and lets
// a test decide when a fetch, a connect or a backoff wait ends, and when the group rebalances.
import type { Assignment, LibrdKafkaError, Message as NativeMessage } from "@confluentinc/kafka-javascript";
import { pino } from "pino";
import type { ReaderConfig } from "../../../src/config.js";
import type { ConsumerPort, ConsumerPortHooks } from "../../../src/consumer-port.js";
import { ErrorCodes, KafkaError } from "../../../src/errors.js";
import type { PartitionOffset } from "../../../src/offset-ledger.js";
import { ConsumerSession } from "../../../src/session.js";
import type { SessionSetup } from "../../../src/session-setup.js";

/** A promise and the functions that settle it. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A fetched message as the native client hands it over. */
export function nativeMessage(topic: string, partition: number, offset: number): NativeMessage {
  return { topic, partition, offset, value: Buffer.from(`m${offset}`), key: null, size: 2, timestamp: 1 };
}

const key = (tp: { topic: string; partition: number }) => `${tp.topic}/${tp.partition}`;

export class FakeConsumerPort implements ConsumerPort {
  /**
   * Every native call, in order: "connect", "subscribe t", "assign t/0" (with an offset: "assign t/0@5"),
   * "store t/0@5", "commit", "seek t/0@5", "unassign", "disconnect".
   */
  readonly calls: string[] = [];
  /** What librdkafka's store holds, and what the coordinator has committed, by "topic/partition". */
  readonly stored = new Map<string, number>();
  readonly committedOffsets = new Map<string, number>();
  /** Fetches not answered yet, oldest first. */
  readonly fetches: Array<Deferred<NativeMessage[]>> = [];
  /** What the next connects do, in order; when empty a connect succeeds. */
  readonly connectOutcomes: Array<Error | undefined> = [];
  private hooks: ConsumerPortHooks | undefined;
  private connected = false;

  attach(hooks: ConsumerPortHooks): this {
    this.hooks = hooks;
    return this;
  }

  /** The group gives this member partitions (librdkafka's rebalance callback). */
  assignPartitions(...partitions: Assignment[]): void {
    this.hooks!.rebalance!({ code: ErrorCodes.ERR__ASSIGN_PARTITIONS } as LibrdKafkaError, partitions);
  }

  /** The group takes partitions away. */
  revokePartitions(...partitions: Assignment[]): void {
    this.hooks!.rebalance!({ code: ErrorCodes.ERR__REVOKE_PARTITIONS } as LibrdKafkaError, partitions);
  }

  /** Answers the oldest fetch in flight. */
  answerFetch(messages: NativeMessage[] | Error): void {
    const fetch = this.fetches.shift();
    if (fetch === undefined) throw new Error("no fetch in flight");
    if (messages instanceof Error) fetch.reject(messages);
    else fetch.resolve(messages);
  }

  async connect(): Promise<void> {
    this.calls.push("connect");
    const outcome = this.connectOutcomes.shift();
    if (outcome !== undefined) throw outcome;
    this.connected = true;
  }
  isConnected = () => this.connected;
  subscribe = (topics: string[]) => void this.calls.push(`subscribe ${topics.join(",")}`);
  assign = (partitions: Assignment[]) =>
    void this.calls.push(`assign ${partitions.map((tp) => ("offset" in tp ? `${key(tp)}@${tp.offset}` : key(tp))).join(",")}`);
  unassign = () => void this.calls.push("unassign");
  /** The most messages each fetch asked for, in order. */
  readonly fetchSizes: number[] = [];
  consume(max: number): Promise<NativeMessage[]> {
    this.calls.push("consume");
    this.fetchSizes.push(max);
    const fetch = deferred<NativeMessage[]>();
    this.fetches.push(fetch);
    return fetch.promise;
  }
  store(offsets: PartitionOffset[]): void {
    for (const tp of offsets) {
      this.calls.push(`store ${key(tp)}@${tp.offset}`);
      this.stored.set(key(tp), tp.offset);
    }
  }
  async commit(offsets: PartitionOffset[] | null): Promise<void> {
    this.calls.push(offsets === null ? "commit" : `commit ${offsets.map((tp) => `${key(tp)}@${tp.offset}`).join(",")}`);
    if (offsets === null && this.stored.size === 0)
      throw Object.assign(new Error("Local: No offset stored"), { code: ErrorCodes.ERR__NO_OFFSET });
    for (const [k, offset] of offsets === null ? this.stored : offsets.map((tp) => [key(tp), tp.offset] as const))
      this.committedOffsets.set(k, offset);
  }
  committed = async (partitions: Array<{ topic: string; partition: number }>) =>
    partitions.map((tp) => ({ ...tp, offset: this.committedOffsets.get(key(tp)) ?? -1001 }));
  /** What position() returns: the next offset of each assigned partition. */
  positions: Array<{ topic: string; partition: number; offset: number }> = [];
  seek = async (topic: string, partition: number, offset: number) => void this.calls.push(`seek ${topic}/${partition}@${offset}`);
  watermarks = () => ({ low: 0, high: 100 });
  queryWatermarks = async () => ({ low: 0, high: 100 });
  offsetsForTimes = async () => [];
  position = () => this.positions;
  pause = () => undefined;
  resume = () => undefined;
  async disconnect(): Promise<void> {
    this.calls.push("disconnect");
    this.connected = false;
  }
  /** Stands for the native consumer a transaction's offsets are sent with. */
  groupHandle = (): unknown => this;
  error = (err: unknown, operation: string) =>
    new KafkaError(`g: ${operation} failed: ${(err as Error).message}`, {
      operation,
      key: "g",
      code: (err as { code?: number }).code ?? 0,
    });
}

/** Backoff waits the session asked for; each ends when the test says so (or its signal aborts). */
export class ControlledSleep {
  readonly waits: Array<{ ms: number; ended: boolean; end: () => void }> = [];
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const wait = { ms, ended: false, end: resolve };
      this.waits.push(wait);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  /** Waits asked for and not ended yet. */
  get pending(): number {
    return this.waits.filter((w) => !w.ended).length;
  }
  /** Ends the oldest wait not ended yet. */
  endNext(): void {
    const wait = this.waits.find((w) => !w.ended);
    if (wait === undefined) throw new Error("no backoff wait in progress");
    wait.ended = true;
    wait.end();
  }
}

/** A group member's session over a fake port, with a 100 ms to 1 s backoff. */
export function fakeSession(options: { deferRevocation?: boolean; group?: boolean; standby?: FakeConsumerPort } = {}) {
  const port = new FakeConsumerPort();
  const sleep = new ControlledSleep();
  const group = options.group ?? true;
  const setup: SessionSetup = {
    key: "kafka.consumerGroups.g",
    config: { groupID: group ? "g" : undefined, readBackoffMin: 100, readBackoffMax: 1000, commitInterval: 1000 } as ReaderConfig,
    properties: {},
    source: group ? { kind: "group", topics: ["t"] } : { kind: "partition", topic: "t", partition: 0, offset: 0 },
    logger: pino({ level: "silent" }),
    requestTimeoutMs: 1000,
    deferRevocation: options.deferRevocation ?? true,
    port: (hooks) => port.attach(hooks),
    standbyPort: () => options.standby,
    sleep: sleep.sleep,
  };
  return { session: new ConsumerSession(setup), port, sleep };
}

/** Lets every promise continuation that is ready run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
