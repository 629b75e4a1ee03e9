import { describe, expect, it } from "vitest";
import { FetchPace } from "../../src/fetch-pace.js";

/** A pace of at most 500 messages a fetch, 1 s ahead, a keep-alive after 1 s; the clock starts at 0. */
const pace = () => new FetchPace(500, 1000, 1000, 0);

describe("FetchPace", () => {
  it("fetches the most at first, and one message after a first wait in which nothing was taken", () => {
    const p = pace();
    expect(p.size).toBe(500);
    expect(p.fetchStarts(0, 100)).toBe(1); // nothing taken in 100 ms: the pace is 0
  });

  it("fetches about a second of what the application takes, within 1..max", () => {
    const p = pace();
    p.fetchStarts(0, 1); // starts measuring
    p.taken(50);
    expect(p.fetchStarts(0, 1001)).toBe(25); // 50 a second, halfway from 0: 25
    p.taken(50);
    expect(p.fetchStarts(0, 2001)).toBe(38); // halfway from 25 to 50, rounded up
    p.taken(1_000_000);
    expect(p.fetchStarts(0, 2002)).toBe(500);
  });

  it("fetches ahead once less than half a fetch is queued", () => {
    const p = pace();
    p.fetchStarts(0, 1);
    p.taken(40);
    p.fetchStarts(0, 1001); // 20 a fetch
    expect(p.shouldFetch(10, 1100)).toBe(false);
    expect(p.shouldFetch(9, 1100)).toBe(true);
  });

  it("keeps a slow application calling into librdkafka: a poll a second after the last fetch fetches one message", () => {
    const p = pace();
    p.fetchStarts(0, 1);
    p.taken(2000);
    p.fetchStarts(0, 1001); // a fast pace: 500 a fetch; then the handler slows down behind a full queue
    expect(p.shouldFetch(400, 1500)).toBe(false);
    expect(p.shouldFetch(400, 2001)).toBe(true);
    expect(p.fetchStarts(400, 2001)).toBe(1);
  });

  it("stops the keep-alive fetches once two full fetches are queued", () => {
    const p = pace();
    expect(p.shouldFetch(999, 5000)).toBe(true);
    expect(p.shouldFetch(1000, 5000)).toBe(false);
  });

  it("does not measure over less than a millisecond", () => {
    const p = pace();
    p.fetchStarts(0, 1);
    p.taken(10);
    p.fetchStarts(0, 1); // same instant: no division by zero, the count carries over
    p.taken(10);
    expect(p.fetchStarts(0, 1001)).toBe(10); // 20 in a second, halfway from 0
  });
});
