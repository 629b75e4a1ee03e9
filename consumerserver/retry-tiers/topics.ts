import { ErrorCodes, KafkaError, withRetries, type Client } from "../../src/index.js";
import type { Logger } from "../../src/core/index.js";

/** The topics a server's retry tiers write to, by the topic whose messages they hold. */
export interface TierTopics {
  /** The server's own topic. */
  readonly topic: string;
  /** Its retry topics (tier 1 first) and, when the server names it, its dead-letter topic. */
  readonly derived: readonly string[];
}

/** How long to wait for created topics to have a leader for every partition. */
const READY_TIMEOUT_MS = 30_000;
/** How often to ask meanwhile: constant, a leader is elected within a moment. */
const LEADER_WAITS = { initialMs: 200, maxMs: 200, multiplier: 1 };

/**
 * Makes sure every retry (and derived dead-letter) topic exists: a missing one is created with its
 * topic's partition count and replication factor. Resolves to the partition count of each derived topic.
 * @throws Error naming the topic when one is missing and cannot be created (e.g. not authorized)
 */
export async function ensureTierTopics(
  client: Client,
  sets: readonly TierTopics[],
  where: string,
  logger: Logger,
): Promise<Map<string, number>> {
  const existing = new Set(await client.listTopics());
  const missing: Array<{ topic: string; of: string }> = [];
  for (const set of sets) for (const topic of set.derived) if (!existing.has(topic)) missing.push({ topic, of: set.topic });
  for (const { topic, of } of missing) {
    const shape = existing.has(of) ? await shapeOf(client, of) : { numPartitions: -1, replicationFactor: -1 };
    try {
      await client.createTopics([{ topic, ...shape }], { ignoreExisting: true });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${where}: retry tiers need the topic ${JSON.stringify(topic)}, which does not exist and could not be created (${reason}); ` +
          `create it (${shape.numPartitions > 0 ? `${shape.numPartitions} partitions, like ${of}` : `like ${of}`}) or allow this client to create topics`,
        { cause: error },
      );
    }
    logger.info({ topic, of, ...shape }, "created a retry-tier topic");
  }
  const all = sets.flatMap((set) => set.derived);
  return waitForLeaders(client, all, READY_TIMEOUT_MS, where);
}

/**
 * `topic`'s partition count and replication factor, or -1 for each (the broker's defaults) when the
 * broker asked does not know it yet: listTopics may have asked one that had already learnt of it.
 */
async function shapeOf(client: Client, topic: string): Promise<{ numPartitions: number; replicationFactor: number }> {
  const described = await client.metadata(topic).catch((err: unknown) => {
    if (err instanceof KafkaError && err.code === ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART) return [];
    throw err;
  });
  const partitions = described[0]?.partitions ?? [];
  return { numPartitions: partitions.length > 0 ? partitions.length : -1, replicationFactor: partitions[0]?.replicas.length || -1 };
}

/** The partition counts of `topics`, once each partition has a leader (a just-created topic takes a moment). */
async function waitForLeaders(client: Client, topics: readonly string[], timeoutMs: number, where: string): Promise<Map<string, number>> {
  let notReady: readonly string[] = topics;
  const ask = async () => {
    const described = await client.metadata(...topics).catch(() => []);
    const counts = new Map<string, number>();
    for (const info of described) {
      if (info.partitions.length > 0 && info.partitions.every((p) => p.leader !== null && p.leader >= 0))
        counts.set(info.name, info.partitions.length);
    }
    notReady = topics.filter((topic) => !counts.has(topic));
    if (notReady.length > 0)
      throw new Error(`${where}: the retry-tier topics ${notReady.join(", ")} have no leader for every partition after ${timeoutMs} ms`);
    return counts;
  };
  return withRetries(ask, { retries: Infinity, waits: LEADER_WAITS, deadline: Date.now() + timeoutMs, retryIf: () => true });
}
