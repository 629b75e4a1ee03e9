// Builds ekafka components for e2e tests from TOML text, against the cluster of e2e.toml.
import { afterEach } from "vitest";
import { Config } from "ekafka/core";
import { load, type Component, type Option, type TopicInfo } from "ekafka";
import { brokers } from "./env.js";
import { eventually } from "./wait.js";

/** Short group timings so rebalances in tests take seconds, not half a minute. */
export const FAST_GROUP = `
heartbeatInterval = "500ms"
sessionTimeout = "6s"
rebalanceTimeout = "10s"
maxWait = "100ms"
`;

/** A Config holding `[kafka]` with the brokers of e2e.toml, plus `toml` (which must not set brokers). */
export function e2eConfig(toml: string): Config {
  return new Config().loadString(`[kafka]\nbrokers = ${JSON.stringify(brokers)}\n${toml}`);
}

/** Builds the component at `[kafka]` of {@link e2eConfig}. Remember to close it. */
export function buildComponent(toml: string, ...options: Option[]): Component {
  return load("kafka", e2eConfig(toml)).build(...options);
}

/**
 * For a test file: components built or tracked through the returned functions are closed after each
 * test, whatever the test's outcome. Call once, at the top level of the file.
 */
export function componentsClosedAfterEach(): {
  build: (toml: string, ...options: Option[]) => Component;
  track: (component: Component) => Component;
} {
  const open: Component[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((c) => c.close()));
  });
  const track = (component: Component) => {
    open.push(component);
    return component;
  };
  return { build: (toml, ...options) => track(buildComponent(toml, ...options)), track };
}

/**
 * `topic` as `kafka`'s admin client describes it, once that shows `partitions` partitions, each with a
 * leader: the broker answering may not have learnt of a topic just created (metadata() then gives it
 * no partitions) even after others have.
 */
export function ledTopic(kafka: Component, topic: string, partitions: number, timeoutMs = 15_000): Promise<TopicInfo> {
  return eventually(
    async () => {
      const [info] = await kafka.client().metadata(topic);
      const led = info !== undefined && info.partitions.length === partitions && info.partitions.every((p) => p.leader !== null);
      return led ? info : undefined;
    },
    timeoutMs,
    `every partition of ${topic} with a leader in the admin client's metadata`,
  );
}
