import { describe, expect, it } from "vitest";
import { PartitionScheduler } from "../../../consumerserver/index.js";

/** A unit of work the test finishes by hand, to control the interleaving. */
interface Job {
  lane: string;
  id: number;
  finish(): void;
  fail(error: Error): void;
}

function harness() {
  const started: string[] = [];
  const running = new Map<string, Job>();
  const failures: string[] = [];
  const settled: string[] = [];
  const scheduler = new PartitionScheduler<{ lane: string; id: number }>(
    (item) =>
      new Promise<void>((resolve, reject) => {
        const name = `${item.lane}#${item.id}`;
        started.push(name);
        running.set(name, { ...item, finish: resolve, fail: reject });
      }),
    {
      onFailure: (lane, item, error) => failures.push(`${lane}#${item.id}: ${(error as Error).message}`),
      onSettled: (lane, item, queued) => settled.push(`${lane}#${item.id} (${queued} left)`),
    },
  );
  const push = (lane: string, id: number) => scheduler.push(lane, { lane, id });
  const finish = async (name: string) => {
    running.get(name)!.finish();
    running.delete(name);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const fail = async (name: string, message: string) => {
    running.get(name)!.fail(new Error(message));
    running.delete(name);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { scheduler, started, running, failures, settled, push, finish, fail };
}

describe("PartitionScheduler", () => {
  it("runs one item per lane at a time, in push order, and lanes in parallel", async () => {
    const h = harness();
    h.push("p0", 1);
    h.push("p0", 2);
    h.push("p1", 1);
    h.push("p0", 3);
    expect(h.started).toEqual(["p0#1", "p1#1"]);
    expect(h.scheduler.size).toBe(4);
    expect(h.scheduler.laneLength("p0")).toBe(3);

    await h.finish("p1#1");
    expect(h.started).toEqual(["p0#1", "p1#1"]); // p1 is empty; p0#2 still waits for p0#1
    await h.finish("p0#1");
    expect(h.started).toEqual(["p0#1", "p1#1", "p0#2"]);
    await h.finish("p0#2");
    await h.finish("p0#3");
    expect(h.started).toEqual(["p0#1", "p1#1", "p0#2", "p0#3"]);
    expect(h.scheduler.size).toBe(0);
    expect(h.settled).toEqual(["p1#1 (0 left)", "p0#1 (2 left)", "p0#2 (1 left)", "p0#3 (0 left)"]);
  });

  it("keeps every lane in order under random completion order", async () => {
    const h = harness();
    const lanes = ["a", "b", "c"];
    for (let id = 0; id < 30; id++) h.push(lanes[id % 3]!, id);
    let seed = 7;
    while (h.running.size > 0) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const names = [...h.running.keys()];
      await h.finish(names[seed % names.length]!);
    }
    expect(h.started).toHaveLength(30);
    for (const lane of lanes) {
      const ids = h.started.filter((name) => name.startsWith(`${lane}#`)).map((name) => Number(name.split("#")[1]));
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
    }
  });

  it("halts a lane at its first failure: nothing after it runs, later pushes are refused", async () => {
    const h = harness();
    h.push("p0", 1);
    h.push("p0", 2);
    h.push("p1", 1);
    h.push("p1", 2);
    await h.fail("p0#1", "boom");
    expect(h.failures).toEqual(["p0#1: boom"]);
    expect(h.scheduler.isHalted("p0")).toBe(true);
    expect(h.push("p0", 3)).toBe(false);
    await h.finish("p1#1");
    await h.finish("p1#2");
    expect(h.started).toEqual(["p0#1", "p1#1", "p1#2"]);
    expect(h.scheduler.size).toBe(0);
  });

  it("a work function that throws synchronously fails its item like a rejection", async () => {
    const failures: unknown[] = [];
    const scheduler = new PartitionScheduler<number>(
      () => {
        throw new Error("sync");
      },
      { onFailure: (_lane, _item, error) => failures.push(error) },
    );
    scheduler.push("p0", 1);
    await scheduler.whenIdle();
    expect(failures).toEqual([new Error("sync")]);
  });

  it("drops items not started, in chosen lanes or all, and leaves running ones", async () => {
    const h = harness();
    for (const lane of ["p0", "p1", "p2"]) for (const id of [1, 2, 3]) h.push(lane, id);
    expect(h.scheduler.drop(new Set(["p0", "p1"])).map((item) => `${item.lane}#${item.id}`)).toEqual(["p0#2", "p0#3", "p1#2", "p1#3"]);
    expect(h.scheduler.size).toBe(5);
    expect(h.scheduler.drop()).toHaveLength(2);
    expect(h.scheduler.size).toBe(3);
    for (const name of ["p0#1", "p1#1", "p2#1"]) await h.finish(name);
    expect(h.started).toEqual(["p0#1", "p1#1", "p2#1"]);
  });

  it("whenIdle(lanes) waits only for those lanes", async () => {
    const h = harness();
    h.push("p0", 1);
    h.push("p1", 1);
    let p0Idle = false;
    const waiting = h.scheduler.whenIdle(new Set(["p0"])).then(() => (p0Idle = true));
    await h.finish("p1#1");
    expect(p0Idle).toBe(false);
    await h.finish("p0#1");
    await waiting;
    expect(p0Idle).toBe(true);
  });

  it("whenSizeBelow resolves once enough work is done; a bound of 1 makes it sequential", async () => {
    const h = harness();
    h.push("p0", 1);
    let room = false;
    const waiting = h.scheduler.whenSizeBelow(1).then(() => (room = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(room).toBe(false);
    await h.finish("p0#1");
    await waiting;
    expect(room).toBe(true);
  });

  it("interrupt releases every wait at once, also later ones", async () => {
    const h = harness();
    h.push("p0", 1);
    const waits = [h.scheduler.whenIdle(), h.scheduler.whenSizeBelow(1), h.scheduler.whenIdle(new Set(["p0"]))];
    h.scheduler.interrupt();
    await Promise.all(waits);
    await h.scheduler.whenIdle();
    expect(h.running.size).toBe(1); // the item itself is not cancelled
  });

  it("settles work that finishes synchronously before push returns, with no microtask between items", () => {
    const order: string[] = [];
    const scheduler = new PartitionScheduler<number>((id) => void order.push(`run ${id}`), {
      onSettled: (lane, id) => order.push(`settled ${lane}#${id}`),
    });
    scheduler.push("p0", 1);
    scheduler.push("p1", 2);
    expect(order).toEqual(["run 1", "settled p0#1", "run 2", "settled p1#2"]);
    expect(scheduler.size).toBe(0);
  });

  it("keeps a lane's order and the slot limit with synchronous work started by a settle", () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const scheduler = new PartitionScheduler<string>(
      (name) => {
        order.push(name);
        if (name === "a1") return new Promise<void>((resolve) => (release = resolve));
      },
      {},
      () => 1,
      { maxRunning: 1 },
    );
    scheduler.push("a", "a1"); // holds the only slot
    scheduler.push("a", "a2");
    scheduler.push("b", "b1");
    scheduler.push("b", "b2");
    expect(order).toEqual(["a1"]);
    release();
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      // b waited for the slot first, so it goes before a's next item; each lane in push order.
      expect(order).toEqual(["a1", "b1", "a2", "b2"]);
      expect(scheduler.size).toBe(0);
    });
  });

  it("runs a long run of synchronous items in one lane without deepening the stack", async () => {
    let handled = 0;
    let release: () => void = () => undefined;
    const scheduler = new PartitionScheduler<number>((id) => {
      if (id === 0) return new Promise<void>((resolve) => (release = resolve));
      handled++;
    });
    scheduler.push("p", 0);
    // Queued behind a promise: once it settles, each synchronous item's settle starts the next one.
    for (let id = 1; id <= 100_000; id++) scheduler.push("p", id);
    release();
    await scheduler.whenIdle();
    expect(handled).toBe(100_000);
  });

  it("halts a lane whose synchronous work throws, and runs nothing after it", () => {
    const ran: number[] = [];
    const failures: string[] = [];
    const scheduler = new PartitionScheduler<number>(
      (id) => {
        ran.push(id);
        if (id === 2) throw new Error("boom");
      },
      { onFailure: (lane, id, error) => failures.push(`${lane}#${id}: ${(error as Error).message}`) },
    );
    expect(scheduler.push("p", 1)).toBe(true);
    expect(scheduler.push("p", 2)).toBe(true);
    expect(scheduler.push("p", 3)).toBe(false);
    expect(ran).toEqual([1, 2]);
    expect(failures).toEqual(["p#2: boom"]);
    expect(scheduler.isHalted("p")).toBe(true);
  });

  it("a lane made again after going idle asks its limit afresh and starts empty", async () => {
    // Idle lane objects are reused: a reused one must not keep the old lane's limit, queue or weights.
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const scheduler = new PartitionScheduler<string>(
      (name) => {
        started.push(name);
        if (name.endsWith("!")) return new Promise<void>((resolve) => releases.set(name, resolve));
      },
      {},
      () => 1,
      { maxRunning: 1, limited: (lane) => !lane.startsWith("free") },
    );
    for (let i = 0; i < 10; i++) scheduler.push(`key${i}`, `key${i}`); // limited lanes, made and dropped at once
    scheduler.push("free1", "free1!"); // unlimited, in a lane object a limited lane used: takes no slot
    scheduler.push("held", "held!"); // takes the only slot
    scheduler.push("key0", "key0!"); // waits for the slot
    expect(started.slice(10)).toEqual(["free1!", "held!"]);
    expect(scheduler.size).toBe(3);
    expect(scheduler.laneLength("key0")).toBe(1);
    releases.get("free1!")!(); // free1's lane goes idle: its object is kept for the next lane
    await new Promise((resolve) => setImmediate(resolve));
    scheduler.push("key7", "key7!"); // limited, in the object the unlimited lane used: waits for the slot too
    expect(started.slice(12)).toEqual([]);
    expect(scheduler.laneLength("key7")).toBe(1);
    releases.get("held!")!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started.slice(12)).toEqual(["key0!"]); // one slot: key0 first (it waited first), key7 still waits
    releases.get("key0!")!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started.slice(12)).toEqual(["key0!", "key7!"]);
    releases.get("key7!")!();
    await scheduler.whenIdle();
    expect(scheduler.size).toBe(0);
  });

  it("drop keeps, in their order, the items a test accepts, and counts only the dropped ones out", async () => {
    const h = harness();
    h.push("a", 1); // runs
    h.push("a", 2);
    h.push("a", 3);
    h.push("a", 4);
    const dropped = h.scheduler.drop(undefined, (item) => item.id < 4);
    expect(dropped.map((item) => item.id)).toEqual([4]);
    expect(h.scheduler.size).toBe(3);
    expect(h.scheduler.waiting).toBe(2);
    await h.finish("a#1");
    await h.finish("a#2");
    await h.finish("a#3");
    expect(h.started).toEqual(["a#1", "a#2", "a#3"]);
    expect(h.scheduler.size).toBe(0);
  });
});
