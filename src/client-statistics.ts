import type { Logger } from "pino";
import { parseStatistics, type ClientStatistics } from "./statistics.js";
import { StatisticsMetrics } from "./statistics-metrics.js";

/** The part of a native client statistics are read from. */
interface StatisticsSource {
  on(event: "event.stats" | "disconnected", listener: (data: unknown) => void): unknown;
}

/** The latest statistics of each open client, by config key. */
const latest = new Map<string, { source: StatisticsSource; statistics: ClientStatistics }>();

/**
 * Listens to a native client's statistics (emitted every `statisticsInterval` when it is on): keeps the
 * latest for {@link clientStatistics} and fills the lag, group, broker and producer-queue metrics. When
 * the client disconnects its statistics and metric series are dropped.
 *
 * @param key the client's config key (`kafka.consumerGroups.g1`), as the `client` label
 * @param group the consumer group id, "" when there is none
 */
export function watchStatistics(client: StatisticsSource, key: string, group: string, logger: Logger): void {
  const metrics = new StatisticsMetrics(key, group);
  let warned = false;
  client.on("event.stats", (event) => {
    try {
      const statistics = parseStatistics(event);
      latest.set(key, { source: client, statistics });
      metrics.update(statistics);
    } catch (err) {
      // Statistics are for observing only: a bad document costs its figures, never the client.
      if (!warned) logger.warn({ err }, "librdkafka statistics could not be read; lag and group metrics are not updated");
      warned = true;
    }
  });
  client.on("disconnected", () => {
    // Another client built from the same key (a second component) may have taken the entry over.
    if (latest.get(key)?.source === client) latest.delete(key);
    metrics.remove();
  });
}

/**
 * The latest librdkafka statistics of the client with config key `key` (e.g. `kafka.consumerGroups.g1`),
 * or undefined before the first document arrived, after the client closed, or when `statisticsInterval`
 * is 0. They are at most `statisticsInterval` old; compare `receivedAt` with the time now.
 */
export function clientStatistics(key: string): ClientStatistics | undefined {
  return latest.get(key)?.statistics;
}
