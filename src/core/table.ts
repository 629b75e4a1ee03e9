/** A parsed TOML table: names to raw values. */
export type Table = Record<string, unknown>;

/** True for a TOML table (a plain object); false for arrays, dates and scalars. */
export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** `parent.child`, or just `child` at the root. */
export function joinKeyPath(parent: string, child: string): string {
  return parent === "" ? child : `${parent}.${child}`;
}

/**
 * The key of `table` that equals `name` ignoring case, preferring an exact match, because the Go loader
 * treats `JoinGroupBackoff` and `joinGroupBackoff` as the same key.
 */
export function findKeyIgnoringCase(table: Table, name: string): string | undefined {
  if (Object.hasOwn(table, name)) return name;
  const wanted = name.toLowerCase();
  return Object.keys(table).find((key) => key.toLowerCase() === wanted);
}

/** Splits a dot path into its segments; the empty path is the root and has none. */
export function splitKeyPath(keyPath: string): string[] {
  return keyPath === "" ? [] : keyPath.split(".");
}

/**
 * Sets `table[key] = value` as an own property, so a config key such as `__proto__` stays data
 * instead of changing the object's prototype.
 */
export function setOwn(table: Table, key: string, value: unknown): void {
  Object.defineProperty(table, key, { value, writable: true, enumerable: true, configurable: true });
}
