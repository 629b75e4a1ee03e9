import { describe, expect, it } from "vitest";
import { Fifo } from "../../../consumerserver/fifo.js";

describe("Fifo", () => {
  it("gives items back first in, first out, across its compactions", () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      fifo.push(i);
      if (i % 3 === 0) out.push(fifo.shift()!);
    }
    expect(fifo.length).toBe(5000 - out.length);
    for (let item = fifo.shift(); item !== undefined; item = fifo.shift()) out.push(item);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });

  it("drains what is left, in order, and is empty afterwards", () => {
    const fifo = new Fifo<string>();
    for (const item of ["a", "b", "c", "d"]) fifo.push(item);
    fifo.shift();
    expect(fifo.drain()).toEqual(["b", "c", "d"]);
    expect(fifo.length).toBe(0);
    fifo.push("e");
    expect(fifo.shift()).toBe("e");
  });

  it("is used again after it emptied, keeping no item of before", () => {
    const fifo = new Fifo<number>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) fifo.push(round * 10 + i);
      const out: number[] = [];
      for (let item = fifo.shift(); item !== undefined; item = fifo.shift()) out.push(item);
      expect(out).toEqual([0, 1, 2, 3, 4].map((i) => round * 10 + i));
      expect(fifo.length).toBe(0);
    }
  });
});
