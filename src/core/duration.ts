import { ConfigError } from "./errors.js";

/** Nanoseconds per unit, as Go's `time.ParseDuration` knows them (both spellings of micro). */
const NANOSECONDS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 MICRO SIGN
  μs: 1_000n, // U+03BC GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

// "ms" must be tried before "m" and "s", or "1ms" would read as one minute and a stray "s".
const UNIT = "ns|us|µs|μs|ms|s|m|h";
const DURATION_STRING = new RegExp(`^[-+]?(?:(?:\\d+\\.?\\d*|\\.\\d+)(?:${UNIT}))+$`);
const DURATION_PART = new RegExp(`(\\d+)?(?:\\.(\\d*))?(${UNIT})`, "g");
const BARE_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const MAX_NANOSECONDS = 2n ** 63n - 1n; // Go's time.Duration is an int64

const NANOSECONDS_PER_MILLISECOND = 1_000_000n;

/** The value a negative bare number stands for: "disabled", as in `retentionTime = "-1"`. */
export const DISABLED_DURATION = -1;

/**
 * Reads a duration the way Go's config loader does and returns it in milliseconds (possibly fractional).
 *
 * - Go duration strings: `"300ms"`, `"1m30s"`, `"1.5s"`, `"2h45m"`, `"-1s"`; units `ns us µs ms s m h`.
 * - A bare number (a TOML number, or a numeric string such as `"0"`) is nanoseconds, because that is
 *   what Go's `time.Duration(n)` means; `1000000` is therefore 1 ms.
 * - A negative bare number (`retentionTime = "-1"`) is Go's "disabled" and is returned as exactly `-1`.
 *
 * @param value the raw value from the config file
 * @param keyPath the key's dot path, used in the error message
 * @throws ConfigError naming `keyPath` when the value is not a duration
 */
export function parseDuration(value: string | number, keyPath: string): number {
  if (typeof value === "number") return bareNanosecondsToMilliseconds(value, value, keyPath);
  const text = value.trim();
  if (BARE_NUMBER.test(text)) return bareNanosecondsToMilliseconds(Number(text), value, keyPath);
  if (!DURATION_STRING.test(text)) throw notADuration(value, keyPath);
  return durationStringToMilliseconds(text, value, keyPath);
}

function bareNanosecondsToMilliseconds(nanoseconds: number, original: string | number, keyPath: string): number {
  if (!Number.isFinite(nanoseconds)) throw notADuration(original, keyPath);
  if (nanoseconds < 0) return DISABLED_DURATION;
  if (nanoseconds === 0) return 0; // never hand out -0
  return nanoseconds / 1e6;
}

function durationStringToMilliseconds(text: string, original: string, keyPath: string): number {
  const negative = text.startsWith("-");
  let total = 0n;
  for (const [, whole = "", fraction = "", unit = ""] of text.matchAll(DURATION_PART)) {
    total += partToNanoseconds(whole, fraction, unit);
  }
  if (total > MAX_NANOSECONDS) throw notADuration(original, keyPath, "it is longer than Go's maximum of about 292 years");
  const milliseconds = nanosecondsToMilliseconds(total);
  return negative && milliseconds !== 0 ? -milliseconds : milliseconds;
}

// Integer arithmetic on nanoseconds, as Go does it, so "1.1s" is exactly 1100 ms and not 1100.0000000000002.
function partToNanoseconds(whole: string, fraction: string, unit: string): bigint {
  const perUnit = NANOSECONDS_PER_UNIT[unit] ?? 0n;
  let nanoseconds = BigInt(whole === "" ? "0" : whole) * perUnit;
  if (fraction !== "") {
    nanoseconds += (BigInt(fraction) * perUnit) / 10n ** BigInt(fraction.length);
  }
  return nanoseconds;
}

function nanosecondsToMilliseconds(nanoseconds: bigint): number {
  if (nanoseconds % NANOSECONDS_PER_MILLISECOND === 0n) return Number(nanoseconds / NANOSECONDS_PER_MILLISECOND);
  return Number(nanoseconds) / 1e6;
}

function notADuration(value: string | number, keyPath: string, reason?: string): ConfigError {
  const found = typeof value === "string" ? JSON.stringify(value) : String(value);
  const why = reason === undefined ? "" : ` (${reason})`;
  return ConfigError.atKey(keyPath, `expected a duration such as "300ms" or "1m30s", found ${found}${why}`);
}

/**
 * Milliseconds as Go's `time.Duration.String()` writes them, for messages: `90000` → `"1m30s"`, `600000`
 * → `"10m0s"`, `1500` → `"1.5s"`, `5` → `"5ms"`, `0` → `"0s"`.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Number(ms.toFixed(6))}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${Number(((ms % 60_000) / 1000).toFixed(9))}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}
