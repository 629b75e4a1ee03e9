import { describe, expect, it } from "vitest";
import { FetchPace } from "../../src/fetch-pace.js";

/** A pace of at most 500 messages a fetch, 1 s ahead, a keep-alive after 1 s. */
const pace = () => new FetchPace(500, 1000, 1000);

describe("FetchPace", () => {
  it("fetches the most until the pace is measured between two fetches (connecting is not the application's pace)", () => {
    const p = pace();
    expect(p.fetchStarts(0, 60_000)).toBe(500);
    expect(p.size).toBe(500);
  });

  it("fetches about a second of what the application takes, within 1..max", () => {
    const p = pace();
    p.fetchStarts(0, 0);
    p.taken(50);
    expect(p.fetchStarts(0, 1000)).toBe(50); // 50 a second
    p.taken(25);
    expect(p.fetchStarts(0, 2000)).toBe(38); // halfway from 50 to 25, rounded up
    p.taken(1_000_000);
    expect(p.fetchStarts(0, 2001)).toBe(500);
  });

  it("counts messages handed over to a waiting take once: before the fetch that starts ahead, not again when taken", () => {
    const p = pace();
    p.fetchStarts(0, 0);
    p.handedOver(64); // a waiting take will receive them; the next fetch starts before it takes them
    expect(p.fetchStarts(0, 1024)).toBe(63); // 64 in 1,024 ms, as if taken: 62.5 a second, rounded up
    p.taken(64); // the take receiving those 64: already counted
    p.taken(32);
    expect(p.fetchStarts(0, 2048)).toBe(47); // halfway from 62.5 to 31.25 a second (counted twice: 79)
  });

  it("fetches one message when nothing was taken between two fetches", () => {
    const p = pace();
    p.fetchStarts(0, 0);
    expect(p.fetchStarts(0, 100)).toBe(1);
  });

  it("fetches ahead once less than half a fetch is queued", () => {
    const p = pace();
    p.fetchStarts(0, 0);
    p.taken(20);
    p.fetchStarts(0, 1000); // 20 a fetch
    expect(p.shouldFetch(10, 1100)).toBe(false);
    expect(p.shouldFetch(9, 1100)).toBe(true);
  });

  it("keeps a slow application calling into librdkafka: a poll a second after the last fetch fetches one message", () => {
    const p = pace();
    p.fetchStarts(0, 0);
    p.taken(2000);
    p.fetchStarts(0, 1000); // a fast pace: 500 a fetch; then the handler slows down behind a full queue
    expect(p.shouldFetch(400, 1500)).toBe(false);
    expect(p.shouldFetch(400, 2000)).toBe(true);
    expect(p.fetchStarts(400, 2000)).toBe(1);
  });

  it("stops the keep-alive fetches once two full fetches are queued", () => {
    const p = pace();
    p.fetchStarts(0, 0);
    expect(p.shouldFetch(999, 5000)).toBe(true);
    expect(p.shouldFetch(1000, 5000)).toBe(false);
  });

  it("does not measure over less than a millisecond", () => {
    const p = pace();
    p.fetchStarts(0, 0);
    p.taken(10);
    p.fetchStarts(0, 0); // same instant: no division by zero, the count carries over
    p.taken(10);
    expect(p.fetchStarts(0, 1000)).toBe(20); // 20 in a second
  });
});
