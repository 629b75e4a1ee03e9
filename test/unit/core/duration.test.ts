import { describe, expect, it } from "vitest";
import { ConfigError, DISABLED_DURATION, parseDuration } from "../../../src/core/index.js";
import { formatDuration } from "../../../src/core/duration.js";

const KEY = "kafka.consumers.c1.maxWait";

describe("parseDuration", () => {
  it.each([
    ["300ms", 300],
    ["1s", 1_000],
    ["1.5s", 1_500],
    ["1.1s", 1_100],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["2h45m", 9_900_000],
    ["-1s", -1_000],
    ["+2s", 2_000],
    ["0s", 0],
    [".5s", 500],
    ["5.s", 5_000],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["1500μs", 1.5],
    ["2000000ns", 2],
    ["250ns", 0.00025],
    ["1h1m1s1ms", 3_661_001],
    ["  3s  ", 3_000],
  ])("reads the Go duration string %j as %d ms", (text, expected) => {
    expect(parseDuration(text, KEY)).toBe(expected);
  });

  it("reads a bare TOML number as nanoseconds, as Go's time.Duration(n) does", () => {
    expect(parseDuration(1_000_000, KEY)).toBe(1);
    expect(parseDuration(1_500_000_000, KEY)).toBe(1_500);
    expect(parseDuration(500, KEY)).toBe(0.0005);
  });

  it("reads a numeric string as nanoseconds too", () => {
    expect(parseDuration("3000000", KEY)).toBe(3);
  });

  it('reads zero, given as "0" or 0, as 0 (commitInterval = "0": commit synchronously)', () => {
    expect(parseDuration("0", KEY)).toBe(0);
    expect(parseDuration(0, KEY)).toBe(0);
    expect(Object.is(parseDuration("-0", KEY), 0)).toBe(true);
  });

  it('reads a negative bare number ("-1", -1, "-5") as exactly -1, Go\'s "disabled"', () => {
    expect(parseDuration("-1", KEY)).toBe(-1);
    expect(parseDuration(-1, KEY)).toBe(-1);
    expect(parseDuration("-5", KEY)).toBe(-1);
    expect(DISABLED_DURATION).toBe(-1);
  });

  it.each(["10 seconds", "", "s", "1d", "1sec", "--1s", "1s 2m", "ms1", "1e3s", "abc", "."])(
    "rejects %j with an error naming the key",
    (text) => {
      const thrown = catchError(() => parseDuration(text, KEY));
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown.message).toBe(`${KEY}: expected a duration such as "300ms" or "1m30s", found ${JSON.stringify(text)}`);
      expect((thrown as ConfigError).key).toBe(KEY);
    },
  );

  it("gives the exact message of the brief for a bad string", () => {
    expect(() => parseDuration("10 seconds", KEY)).toThrow(
      'kafka.consumers.c1.maxWait: expected a duration such as "300ms" or "1m30s", found "10 seconds"',
    );
  });

  it("rejects NaN and infinity (TOML nan / inf)", () => {
    expect(() => parseDuration(Number.NaN, KEY)).toThrow(`${KEY}: expected a duration such as "300ms" or "1m30s", found NaN`);
    expect(() => parseDuration(Number.POSITIVE_INFINITY, KEY)).toThrow(ConfigError);
  });

  it("rejects a duration longer than Go's int64 nanoseconds can hold", () => {
    expect(() => parseDuration("3000000h", KEY)).toThrow(/longer than Go's maximum/);
  });
});

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("formatDuration writes milliseconds as Go's Duration.String does", () => {
  it.each([
    [0, "0s"],
    [5, "5ms"],
    [0.5, "0.5ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [600_000, "10m0s"],
    [7_200_000, "2h0m0s"],
    [2_147_483_647, "596h31m23.647s"],
    [-1000, "-1s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    if (ms >= 0) expect(parseDuration(text, "k")).toBe(ms);
  });
});
