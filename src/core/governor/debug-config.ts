/** Gives one component's effective configuration, secrets already redacted. */
export type DebugConfigProvider = () => unknown;

const providers: Array<{ name: string; provide: DebugConfigProvider }> = [];

/**
 * Adds a component's configuration to the governor's `/debug/config`, under `name` (its config key;
 * a second component of the same key is shown as `name#2`). The provider must redact its secrets.
 * @returns the function that removes it again (call it when the component closes)
 */
export function registerDebugConfig(name: string, provide: DebugConfigProvider): () => void {
  const taken = new Set(providers.map((p) => p.name));
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name}#${n}`;
  const entry = { name: unique, provide };
  providers.push(entry);
  return () => {
    const index = providers.indexOf(entry);
    if (index >= 0) providers.splice(index, 1);
  };
}

/** Every registered component's configuration, by name; a provider that throws shows its error instead. */
export function debugConfigs(): Record<string, unknown> {
  const configs: Record<string, unknown> = {};
  for (const { name, provide } of providers) {
    try {
      configs[name] = provide();
    } catch (err) {
      configs[name] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  return configs;
}
