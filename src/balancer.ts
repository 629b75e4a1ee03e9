import { ConfigError } from "./core/errors.js";

/** What a balancer may look at when it picks a partition. */
export interface BalancerMessage {
  /** The message's key; null when it has none (the built-in key balancers then go round-robin). */
  key: Buffer | null;
  /** The message's value; null for a tombstone. */
  value: Buffer | null;
}

/**
 * Picks the partition a message is written to; the same contract as kafka-go's `Balancer`.
 *
 * `partitions` are the ids of the topic's partitions in ascending order; the result must be one of them.
 * A producer uses one balancer for every topic it writes to, so a stateful balancer (round-robin) sees
 * the partition sets of all of them, one call at a time.
 * Register your own with `withRegisterBalancer(name, balancer)` and name it in `producers.<name>.balancer`.
 */
export interface Balancer {
  /**
   * Called once per message that has no partition of its own, on the write path (keep it cheap).
   *
   * @param message the key and value to decide by
   * @param partitions the topic's partition ids, ascending
   * @returns one of `partitions`; any other number fails the write with a KafkaError
   */
  balance(message: BalancerMessage, partitions: number[]): number;
}

/**
 * How long a round-robin balancer stays on one partition: at most `messages` messages, and (when `ms`
 * is above 0) no longer than `ms` milliseconds after the first of them. The producer passes its
 * `batchSize` and `batchTimeout`: one window is what librdkafka gathers into one batch for a partition.
 */
export interface BalanceWindow {
  /** The most messages written to one partition before moving on; 1 or less moves on every message. */
  messages: number;
  /** The longest time, in milliseconds, spent on one partition; 0 sets no time limit. */
  ms: number;
}

/**
 * The window librdkafka batches in, from a producer's librdkafka properties (`batch.num.messages`,
 * `linger.ms`, after any raw `properties` override); librdkafka's defaults where they are absent.
 */
export function batchWindow(properties: Readonly<Record<string, unknown>>): BalanceWindow {
  const messages = Number(properties["batch.num.messages"] ?? 10_000);
  const ms = Number(properties["linger.ms"] ?? properties["queue.buffering.max.ms"] ?? 5);
  return { messages: Number.isFinite(messages) && messages >= 1 ? messages : 1, ms: Number.isFinite(ms) && ms > 0 ? ms : 0 };
}

/** One message per partition in turn: kafka-go's `RoundRobin`, and what `new RoundRobin()` does. */
export const PER_MESSAGE: BalanceWindow = { messages: 1, ms: 0 };

/**
 * Cycles through the partitions, whatever the key: the producer default (`balancer = "roundRobin"`).
 *
 * It moves to the next partition once per window (see {@link BalanceWindow}) rather than once per
 * message, as librdkafka's sticky partitioner does: the messages written within one linger window fill
 * one batch for one broker instead of a small batch for every broker, which keeps the brokers' request
 * queues short at low rates. Over time the partitions still take turns, so each gets the same share.
 * `new RoundRobin()` (a window of one message, the default) rotates per message, exactly as kafka-go's
 * does.
 */
export class RoundRobin implements Balancer {
  // A uint32 counter that wraps like kafka-go's, so the sequence is the same over long runs.
  private counter = 0;
  private inWindow = 0;
  private windowStarted = 0;

  constructor(private readonly window: BalanceWindow = PER_MESSAGE) {}

  balance(_message: BalancerMessage, partitions: number[]): number {
    requirePartitions(partitions);
    if (this.window.messages <= 1) return partitions[this.next() % partitions.length]!;
    if (this.inWindow === 0 || this.inWindow >= this.window.messages || this.windowExpired()) {
      this.inWindow = 0;
      this.next();
    }
    this.inWindow++;
    return partitions[((this.counter - 1) >>> 0) % partitions.length]!;
  }

  private next(): number {
    const offset = this.counter;
    this.counter = (this.counter + 1) >>> 0;
    if (this.window.ms > 0) this.windowStarted = Date.now();
    return offset;
  }

  private windowExpired(): boolean {
    if (this.window.ms <= 0) return false;
    // Reading the clock for every message costs more than the rest of the balancer at high rates; once a
    // window holds 8 messages it is read every 8th, which overshoots the linger by a few microseconds.
    if (this.inWindow >= 8 && (this.inWindow & 7) !== 0) return false;
    return Date.now() - this.windowStarted >= this.window.ms;
  }
}

/**
 * kafka-go's `Hash` balancer, bit for bit (`balancer = "hash"`): 32-bit FNV-1a of the key, read as a
 * signed int32, remainder by the partition count, sign dropped. That is also Sarama's hash partitioner,
 * so a service moved from Go (kafka-go or Sarama) keeps each key on the partition it had.
 *
 * A null key goes round-robin (per window, see {@link RoundRobin}). An empty but present key is hashed like any other key
 * (kafka-go tests `msg.Key == nil`, not the length), so it always lands on the same partition.
 */
export class Hash implements Balancer {
  private readonly keyless: RoundRobin;

  /** @param window how keyless messages rotate (see {@link RoundRobin}) */
  constructor(window: BalanceWindow = PER_MESSAGE) {
    this.keyless = new RoundRobin(window);
  }

  balance(message: BalancerMessage, partitions: number[]): number {
    if (message.key === null) return this.keyless.balance(message, partitions);
    requirePartitions(partitions);
    // `| 0` is Go's int32(uint32) conversion; JS `%` truncates like Go's, so a negative hash gives a
    // negative remainder that kafka-go then negates. Without the int32 step the results differ from Sarama.
    const remainder = (fnv1a32(message.key) | 0) % partitions.length;
    // kafka-go returns the index itself; its Writer always passes [0..n-1], so index and id coincide.
    // Returning partitions[index] keeps that result and honours the "one of the given ids" contract.
    return partitions[Math.abs(remainder)]!;
  }
}

/**
 * The Java client's key partitioner (`balancer = "murmur2"`): `toPositive(murmur2(key)) % n`, the same as
 * kafka-go's `Murmur2Balancer` and librdkafka's `murmur2_random`. Use it to share a topic with Java or
 * librdkafka-default producers.
 *
 * A null key goes round-robin per window (see {@link RoundRobin}; the Java client's sticky partitioner
 * does the same with a random next partition, kafka-go picks a random partition per message), so keyless
 * messages still spread evenly. An empty key is hashed.
 */
export class Murmur2 implements Balancer {
  private readonly keyless: RoundRobin;

  /** @param window how keyless messages rotate (see {@link RoundRobin}) */
  constructor(window: BalanceWindow = PER_MESSAGE) {
    this.keyless = new RoundRobin(window);
  }

  balance(message: BalancerMessage, partitions: number[]): number {
    if (message.key === null) return this.keyless.balance(message, partitions);
    requirePartitions(partitions);
    const positive = (murmur2(message.key) & 0x7fffffff) >>> 0;
    return partitions[positive % partitions.length]!;
  }
}

const FNV32_OFFSET_BASIS = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** 32-bit FNV-1a (Go's `hash/fnv.New32a`), as an unsigned 32-bit integer. */
export function fnv1a32(data: Uint8Array): number {
  let hash = FNV32_OFFSET_BASIS;
  for (const byte of data) {
    hash ^= byte;
    hash = Math.imul(hash, FNV32_PRIME);
  }
  return hash >>> 0;
}

const MURMUR2_SEED = 0x9747b28c;
const MURMUR2_M = 0x5bd1e995;
const MURMUR2_R = 24;

/**
 * The Java client's `Utils.murmur2` as an unsigned 32-bit integer (read it with `| 0` to get Java's
 * signed int). `Math.imul` gives the wrapping 32-bit multiply that Java's `int` arithmetic has.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = MURMUR2_SEED ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, MURMUR2_M);
    k ^= k >>> MURMUR2_R;
    k = Math.imul(k, MURMUR2_M);
    h = Math.imul(h, MURMUR2_M);
    h ^= k;
  }
  // The tail, as Java's fall-through switch on length % 4 does it.
  const tail = length % 4;
  if (tail >= 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, MURMUR2_M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR2_M);
  h ^= h >>> 15;
  return h >>> 0;
}

function requirePartitions(partitions: readonly number[]): void {
  if (partitions.length === 0) throw new Error("cannot balance a message: the topic has no partitions");
}

/** The balancer used when `producers.<name>.balancer` is not set (Go ekafka's default). */
export const DEFAULT_BALANCER = "roundRobin";

/**
 * The balancers every component knows, by the name used in `producers.<name>.balancer`.
 * Factories, not instances: each producer gets its own, so round-robin counters are not shared; each is
 * given the producer's batch window for its round-robin part.
 */
export const builtInBalancers: Readonly<Record<string, (window: BalanceWindow) => Balancer>> = {
  roundRobin: (window) => new RoundRobin(window),
  hash: (window) => new Hash(window),
  murmur2: (window) => new Murmur2(window),
};

/**
 * The balancer a producer should use.
 *
 * Lookup order: a balancer registered under exactly this name (so an application may replace a
 * built-in, as Go's `WithRegisterBalancer` can), then a built-in (name matched ignoring case, like the
 * config keys), else an error. An empty name means {@link DEFAULT_BALANCER}.
 *
 * @param keyPath the config key the name came from (e.g. `kafka.producers.p1.balancer`), named in the error
 * @param window the producer's batch window (`batchSize`, `batchTimeout`), given to a built-in balancer
 * @throws ConfigError naming `keyPath` and every accepted name when the name is unknown
 */
export function resolveBalancer(
  name: string,
  registered: ReadonlyMap<string, Balancer>,
  keyPath: string,
  window: BalanceWindow = PER_MESSAGE,
): Balancer {
  const wanted = name.trim() === "" ? DEFAULT_BALANCER : name.trim();
  const own = registered.get(wanted);
  if (own !== undefined) return own;
  const builtIn = Object.keys(builtInBalancers).find((known) => known.toLowerCase() === wanted.toLowerCase());
  if (builtIn !== undefined) return builtInBalancers[builtIn]!(window);
  throw ConfigError.atKey(keyPath, unknownBalancerProblem(wanted, registered));
}

function unknownBalancerProblem(name: string, registered: ReadonlyMap<string, Balancer>): string {
  const builtIns = Object.keys(builtInBalancers).map((known) => JSON.stringify(known));
  const own = [...registered.keys()].map((known) => JSON.stringify(known));
  const registeredPart =
    own.length === 0
      ? "or a name registered with withRegisterBalancer(name, balancer) (none is registered)"
      : `or a registered one: ${own.join(", ")}`;
  return `unknown balancer ${JSON.stringify(name)}; expected one of ${builtIns.join(", ")} ${registeredPart}`;
}
