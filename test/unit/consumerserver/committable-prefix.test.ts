import { describe, expect, it } from "vitest";
import { CommittablePrefix } from "../../../consumerserver/committable-prefix.js";
import { Message } from "../../../src/index.js";

const at = (offset: number) => new Message("t", 0, null, null, [], 0, offset);

describe("the committable prefix", () => {
  it("lets an offset be stored only once every message before it is done", () => {
    const prefix = new CommittablePrefix();
    const messages = [10, 11, 12, 13, 14].map(at);
    for (const message of messages) prefix.track("t/0", message);
    expect(prefix.done("t/0", messages[2]!)).toBeUndefined(); // 10 and 11 still running
    expect(prefix.done("t/0", messages[1]!)).toBeUndefined();
    expect(prefix.done("t/0", messages[0]!)?.offset).toBe(12); // 10, 11, 12 done: store 12 (commit 13)
    expect(prefix.outstanding("t/0")).toBe(2);
    expect(prefix.done("t/0", messages[4]!)).toBeUndefined();
    expect(prefix.done("t/0", messages[3]!)?.offset).toBe(14);
    expect(prefix.outstanding("t/0")).toBe(0);
  });

  it("keeps partitions apart, and forgets a revoked one", () => {
    const prefix = new CommittablePrefix();
    const a = at(1);
    const b = new Message("t", 1, null, null, [], 0, 1);
    prefix.track("t/0", a);
    prefix.track("t/1", b);
    expect(prefix.done("t/1", b)?.offset).toBe(1);
    prefix.forget(["t/0"]);
    expect(prefix.done("t/0", a)).toBeUndefined();
    expect(prefix.outstanding("t/0")).toBe(0);
  });

  it("stays correct over many messages finishing in a scrambled order", () => {
    const prefix = new CommittablePrefix();
    const messages = Array.from({ length: 5000 }, (_, i) => at(i));
    for (const message of messages) prefix.track("t/0", message);
    const order = messages.map((_, i) => i).sort((x, y) => ((x * 7919) % 5000) - ((y * 7919) % 5000));
    const done = new Set<number>();
    let stored = -1;
    for (const index of order) {
      done.add(index);
      const upTo = prefix.done("t/0", messages[index]!);
      let expected = stored;
      while (done.has(expected + 1)) expected++;
      if (upTo !== undefined) stored = upTo.offset;
      expect(stored).toBe(expected);
    }
    expect(stored).toBe(4999);
  });

  it("goes on the same after a partition caught up, in and out of order", () => {
    // A partition whose messages are all done keeps its (emptied) entry: nothing of before may leak.
    const prefix = new CommittablePrefix();
    const first = [0, 1].map(at);
    for (const message of first) prefix.track("t/0", message);
    expect(prefix.done("t/0", first[1]!)).toBeUndefined();
    expect(prefix.done("t/0", first[0]!)?.offset).toBe(1);
    expect(prefix.outstanding("t/0")).toBe(0);
    const next = [2, 3, 4].map(at);
    for (const message of next) prefix.track("t/0", message);
    expect(prefix.outstanding("t/0")).toBe(3);
    expect(prefix.done("t/0", next[1]!)).toBeUndefined();
    expect(prefix.done("t/0", next[0]!)?.offset).toBe(3);
    expect(prefix.done("t/0", next[2]!)?.offset).toBe(4);
    expect(prefix.outstanding("t/0")).toBe(0);
  });
});
