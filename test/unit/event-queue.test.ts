import { describe, expect, it } from "vitest";
import { EventQueue, PollTimeoutError } from "../../src/event-queue.js";

describe("EventQueue", () => {
  it("hands items out in the order they were pushed", () => {
    const queue = new EventQueue<number>("q");
    queue.push(1, 2);
    queue.push(3);
    expect(queue.length).toBe(3);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual([1, 2, 3, undefined]);
    expect(queue.length).toBe(0);
  });

  it("keeps its order over many pushes and takes (compacting as it goes)", () => {
    const queue = new EventQueue<number>("q");
    const taken: number[] = [];
    for (let i = 0; i < 5000; i++) {
      queue.push(i);
      if (i % 3 === 0) taken.push(queue.shift()!);
    }
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) taken.push(item);
    expect(taken).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it("takes a run of accepted items, at most max, stopping at the first refused", () => {
    const queue = new EventQueue<number | string>("q");
    queue.push(1, 2, 3, "revoked", 4);
    expect(queue.shiftWhile(2, (i) => typeof i === "number")).toEqual([1, 2]);
    expect(queue.shiftWhile(10, (i) => typeof i === "number")).toEqual([3]);
    expect(queue.shiftWhile(10, (i) => typeof i === "number")).toEqual([]);
    expect(queue.shift()).toBe("revoked");
    expect(queue.shiftWhile(10, () => true)).toEqual([4]);
  });

  it("pushAll adds a list as push does, and the list stays the caller's", () => {
    const queue = new EventQueue<number>("q");
    const list = [1, 2];
    queue.pushAll(list);
    list.push(99);
    queue.pushAll([3]);
    expect(queue.shiftWhile(10, () => true)).toEqual([1, 2, 3]);
    expect(queue.length).toBe(0);
    queue.pushAll([4]);
    expect(queue.shift()).toBe(4);
  });

  it("clear() drops what was not taken", () => {
    const queue = new EventQueue<number>("q");
    queue.push(1, 2, 3);
    queue.shift();
    queue.clear();
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
  });

  it("wakes a waiter on push and on wake()", async () => {
    const queue = new EventQueue<number>("q");
    const pushed = queue.waitForPush(undefined, Infinity);
    queue.push(7);
    await expect(pushed).resolves.toBeUndefined();
    const woken = queue.waitForPush(undefined, Infinity);
    queue.wake();
    await expect(woken).resolves.toBeUndefined();
  });

  it("rejects a wait with the signal's reason, and with a PollTimeoutError at its deadline", async () => {
    const queue = new EventQueue<number>("kafka.consumerGroups.cg1");
    const controller = new AbortController();
    const aborted = queue.waitForPush(controller.signal, Infinity);
    controller.abort(new Error("stopping"));
    await expect(aborted).rejects.toThrow("stopping");
    await expect(queue.waitForPush(controller.signal, Infinity)).rejects.toThrow("stopping");
    const timedOut = queue.waitForPush(undefined, Date.now() + 20);
    await expect(timedOut).rejects.toBeInstanceOf(PollTimeoutError);
    await expect(queue.waitForPush(undefined, Date.now() - 1)).rejects.toThrow(/kafka.consumerGroups.cg1: poll timed out/);
  });
});
