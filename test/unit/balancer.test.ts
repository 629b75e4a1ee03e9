import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import {
  type Balancer,
  Hash,
  Murmur2,
  RoundRobin,
  batchWindow,
  builtInBalancers,
  fnv1a32,
  murmur2,
  resolveBalancer,
} from "../../src/balancer.js";

const keyed = (key: string | Buffer | null) => ({
  key: key === null ? null : Buffer.isBuffer(key) ? key : Buffer.from(key, "utf8"),
  value: null,
});
const ids = (count: number) => Array.from({ length: count }, (_, i) => i);

/*
 * Reference table for the Hash balancer, computed independently of the code under test with Go's own
 * hash/fnv by a program that mirrors kafka-go's Hash.Balance (balancer.go) line for line:
 *
 *   func kafkaGoHash(key []byte, partitions []int) int {
 *     hasher := fnv.New32a(); hasher.Reset(); hasher.Write(key)
 *     partition := int32(hasher.Sum32()) % int32(len(partitions))
 *     if partition < 0 { partition = -partition }
 *     return partitions[partition]
 *   }
 *   fmt.Printf("[%q, 0x%08x, %d, %d, %d],\n", k, fnv32a(k), kafkaGoHash(k, 0..2), kafkaGoHash(k, 0..4), kafkaGoHash(k, 0..11))
 *
 * Columns: key, FNV-1a 32 of the key, partition with 3, 5 and 12 partitions.
 */
const KAFKA_GO_HASH_TABLE: ReadonlyArray<readonly [string, number, number, number, number]> = [
  ["", 0x811c9dc5, 0, 0, 3],
  ["a", 0xe40c292c, 0, 1, 0],
  ["blah", 0x7dca5122, 1, 2, 10],
  ["boop", 0xcc949b89, 2, 2, 11],
  ["20", 0x8df2997f, 1, 3, 1],
  ["21", 0x8cf297ec, 0, 2, 0],
  ["foobar", 0xbf9cf968, 0, 1, 0],
  ["hello", 0x4f9f2cab, 0, 3, 3],
  ["user-1", 0xf5537974, 0, 1, 0],
  ["user-2", 0xf8537e2d, 0, 4, 3],
  ["user-3", 0xf7537c9a, 2, 3, 2],
  ["user-42", 0x026073ab, 0, 4, 3],
  ["order-1001", 0x916f3d8c, 0, 4, 0],
  ["order-1002", 0x946f4245, 0, 2, 3],
  ["0123456789abcdef", 0x87bc333d, 1, 1, 7],
  ["αβγ-ünïcödé", 0x49c72d1b, 2, 4, 11],
  ["the quick brown fox jumps over the lazy dog", 0xef693ff0, 2, 4, 8],
  ["key-0", 0x58e035d9, 0, 2, 9],
  ["key-1", 0x57e03446, 1, 3, 10],
  ["key-2", 0x56e032b3, 2, 4, 11],
  ["key-3", 0x55e03120, 0, 0, 0],
  ["key-4", 0x5ce03c25, 2, 3, 5],
  ["key-5", 0x5be03a92, 0, 4, 6],
  ["key-6", 0x5ae038ff, 1, 0, 7],
  ["key-7", 0x59e0376c, 2, 1, 8],
  ["key-8", 0x60e04271, 1, 4, 1],
  ["key-9", 0x5fe040de, 2, 0, 2],
];

describe("fnv1a32", () => {
  it.each(KAFKA_GO_HASH_TABLE)("hashes %j like Go's hash/fnv.New32a", (key, expected) => {
    expect(fnv1a32(Buffer.from(key, "utf8"))).toBe(expected);
  });
});

describe("Hash (kafka-go compatible)", () => {
  it.each(KAFKA_GO_HASH_TABLE)("puts %j where kafka-go does (3, 5, 12 partitions)", (key, _hash, p3, p5, p12) => {
    const balancer = new Hash();
    expect(balancer.balance(keyed(key), ids(3))).toBe(p3);
    expect(balancer.balance(keyed(key), ids(5))).toBe(p5);
    expect(balancer.balance(keyed(key), ids(12))).toBe(p12);
  });

  // kafka-go's own test cases (balancer_test.go TestHashBalancer).
  it.each([
    ["blah", 2, 0],
    ["blah", 3, 1],
    ["boop", 3, 2],
    ["20", 16, 1], // "hash code with MSB set": the int32 conversion matters here
  ] as const)("matches kafka-go's TestHashBalancer: %j over %d partitions -> %d", (key, count, expected) => {
    expect(new Hash().balance(keyed(key), ids(count))).toBe(expected);
  });

  it("returns the partition id at the computed index when ids are not 0..n-1", () => {
    // Go program above: kafkaGoHash("blah", []int{7, 8, 9}) == 8
    expect(new Hash().balance(keyed("blah"), [7, 8, 9])).toBe(8);
  });

  it("sends null keys round-robin, as kafka-go does", () => {
    const balancer = new Hash();
    const picks = Array.from({ length: 6 }, () => balancer.balance(keyed(null), ids(3)));
    expect(picks).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it("hashes an empty (non-null) key like kafka-go, always to the same partition", () => {
    const balancer = new Hash();
    expect(balancer.balance(keyed(Buffer.alloc(0)), ids(12))).toBe(3);
    expect(balancer.balance(keyed(Buffer.alloc(0)), ids(12))).toBe(3);
  });

  it("is deterministic across instances", () => {
    expect(new Hash().balance(keyed("user-42"), ids(5))).toBe(new Hash().balance(keyed("user-42"), ids(5)));
  });

  it("rejects an empty partition list", () => {
    expect(() => new Hash().balance(keyed("k"), [])).toThrow(/no partitions/);
  });
});

describe("murmur2 (Java client compatible)", () => {
  // apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2 (Java signed ints).
  it.each([
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ] as const)("murmur2(%j) is Java's %d", (key, javaInt) => {
    expect(murmur2(Buffer.from(key)) | 0).toBe(javaInt);
  });

  // librdkafka src/rdmurmur2.c unit test vectors (also in kafka-go's TestMurmur2).
  it.each([
    ["kafka", 0xd067cf64],
    ["giberish123456789", 0x8f552b0c],
    ["1234", 0x9fc97b14],
    ["234", 0xe7c009ca],
    ["34", 0x873930da],
    ["4", 0x5a4b5ca1],
    ["PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1c],
    ["reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377],
    ["eAmbleWillBeRemoved,ThePrePartThatIs", 0xe0e4e09e],
    ["AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43f],
    ["", 0x106e08d9],
  ] as const)("murmur2(%j) is librdkafka's %d", (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });
});

describe("Murmur2 balancer", () => {
  // kafka-python test_partitioner.py Murmur2Partitioner vectors (1000 partitions), as kafka-go uses them.
  it.each([
    [Buffer.from(""), 681],
    [Buffer.from("a"), 524],
    [Buffer.from("ab"), 434],
    [Buffer.from("abc"), 107],
    [Buffer.from("123456789"), 566],
    [Buffer.from([0, 32]), 742],
  ] as const)("puts %j where the Java/Python clients do", (key, expected) => {
    expect(new Murmur2().balance(keyed(key), ids(1000))).toBe(expected);
  });

  // librdkafka tests/0048-partitioner.c murmur2_random vectors: 17 partitions with ids i*i.
  it.each([
    ["", 0x106e08d9],
    ["23456", 0x058d780f],
    ["this is another string with more length to it perhaps", 0x4f7703da],
    ["hejsan", 0x5ec19395],
  ] as const)("picks partitions[hash %% n] for %j (librdkafka murmur2_random)", (key, hash) => {
    const squares = Array.from({ length: 17 }, (_, i) => i * i);
    expect(new Murmur2().balance(keyed(key), squares)).toBe(squares[hash % 17]);
  });

  it("sends null keys round-robin", () => {
    const balancer = new Murmur2();
    expect([0, 1, 2, 3].map(() => balancer.balance(keyed(null), [4, 5]))).toEqual([4, 5, 4, 5]);
  });
});

describe("RoundRobin per message (new RoundRobin(), kafka-go's)", () => {
  it("cycles through the given partitions, keyed or not", () => {
    const balancer = new RoundRobin();
    const picks = [keyed("a"), keyed(null), keyed("a"), keyed("b"), keyed(null)].map((m) => balancer.balance(m, [3, 7, 9]));
    expect(picks).toEqual([3, 7, 9, 3, 7]);
  });

  it("keeps cycling when the partition count changes", () => {
    const balancer = new RoundRobin();
    expect(balancer.balance(keyed(null), ids(2))).toBe(0);
    expect(balancer.balance(keyed(null), ids(3))).toBe(1);
    expect(balancer.balance(keyed(null), ids(3))).toBe(2);
  });
});

describe("RoundRobin per batch window", () => {
  afterEach(() => vi.useRealTimers());

  it("stays on a partition for a window's count of messages, then moves to the next", () => {
    const balancer = new RoundRobin({ messages: 3, ms: 0 });
    const picks = Array.from({ length: 10 }, () => balancer.balance(keyed(null), [3, 7, 9]));
    expect(picks).toEqual([3, 3, 3, 7, 7, 7, 9, 9, 9, 3]);
  });

  it("moves to the next partition when the linger time has passed, however few messages went", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const balancer = new RoundRobin({ messages: 100, ms: 5 });
    const picks: number[] = [];
    for (let window = 0; window < 4; window++) {
      picks.push(balancer.balance(keyed(null), ids(3)), balancer.balance(keyed(null), ids(3)));
      vi.advanceTimersByTime(5);
    }
    expect(picks).toEqual([0, 0, 1, 1, 2, 2, 0, 0]);
  });

  it("gives every partition the same share over time", () => {
    const balancer = new RoundRobin({ messages: 7, ms: 0 });
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 7 * 5 * 40; i++) counts[balancer.balance(keyed(null), ids(5))]!++;
    expect(counts).toEqual([280, 280, 280, 280, 280]);
  });

  it("is what the built-in balancers use for keyless messages when given a window", () => {
    const window = { messages: 2, ms: 0 };
    for (const name of ["roundRobin", "hash", "murmur2"]) {
      const balancer = resolveBalancer(name, new Map(), "k", window);
      expect(
        [0, 1, 2, 3, 4].map(() => balancer.balance(keyed(null), ids(3))),
        name,
      ).toEqual([0, 0, 1, 1, 2]);
    }
  });

  it("keeps a key on its partition under hash, whatever the window", () => {
    const balancer = new Hash({ messages: 50, ms: 5 });
    expect(balancer.balance(keyed("user-3"), ids(3))).toBe(2);
    expect(balancer.balance(keyed("user-1"), ids(3))).toBe(0);
  });
});

describe("batchWindow", () => {
  it("is librdkafka's batch: batch.num.messages and linger.ms", () => {
    expect(batchWindow({ "batch.num.messages": 100, "linger.ms": 5 })).toEqual({ messages: 100, ms: 5 });
    expect(batchWindow({ "batch.num.messages": "250", "linger.ms": "0" })).toEqual({ messages: 250, ms: 0 });
  });

  it("falls back to librdkafka's defaults when the properties are absent", () => {
    expect(batchWindow({})).toEqual({ messages: 10_000, ms: 5 });
    expect(batchWindow({ "queue.buffering.max.ms": 20 })).toEqual({ messages: 10_000, ms: 20 });
  });
});

describe("resolveBalancer", () => {
  const none = new Map<string, Balancer>();

  it("knows roundRobin, hash and murmur2", () => {
    expect(Object.keys(builtInBalancers)).toEqual(["roundRobin", "hash", "murmur2"]);
    expect(resolveBalancer("roundRobin", none, "k")).toBeInstanceOf(RoundRobin);
    expect(resolveBalancer("hash", none, "k")).toBeInstanceOf(Hash);
    expect(resolveBalancer("murmur2", none, "k")).toBeInstanceOf(Murmur2);
  });

  it("uses roundRobin for an empty name (Go ekafka's default)", () => {
    expect(resolveBalancer("", none, "k")).toBeInstanceOf(RoundRobin);
  });

  it("matches built-in names ignoring case", () => {
    expect(resolveBalancer("RoundRobin", none, "k")).toBeInstanceOf(RoundRobin);
    expect(resolveBalancer("HASH", none, "k")).toBeInstanceOf(Hash);
  });

  it("gives each producer its own built-in instance", () => {
    expect(resolveBalancer("roundRobin", none, "k")).not.toBe(resolveBalancer("roundRobin", none, "k"));
  });

  it("returns a registered balancer, which may replace a built-in", () => {
    const mine: Balancer = { balance: (_m, partitions) => partitions[0]! };
    const registered = new Map([
      ["sticky", mine],
      ["hash", mine],
    ]);
    expect(resolveBalancer("sticky", registered, "k")).toBe(mine);
    expect(resolveBalancer("hash", registered, "k")).toBe(mine);
  });

  it("rejects an unknown name with the key and every accepted name", () => {
    const registered = new Map<string, Balancer>([["sticky", new RoundRobin()]]);
    let error: unknown;
    try {
      resolveBalancer("leastBytes", registered, "kafka.producers.p1.balancer");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("kafka.producers.p1.balancer");
    expect((error as Error).message).toBe(
      'kafka.producers.p1.balancer: unknown balancer "leastBytes"; expected one of "roundRobin", "hash", "murmur2" ' +
        'or a registered one: "sticky"',
    );
  });

  it("says how to register one when none is registered", () => {
    expect(() => resolveBalancer("custom", none, "kafka.producers.p1.balancer")).toThrow(/withRegisterBalancer/);
  });
});
