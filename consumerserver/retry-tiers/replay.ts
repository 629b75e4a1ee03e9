import { Message, PollTimeoutError, type Component, type Header, type ReaderTree } from "../../src/index.js";
import { isTierHeader, RETRY_TIER_HEADERS } from "../failure-headers.js";

/** What {@link replayDeadLetters} reads, where it writes, and with what. */
export interface ReplayOptions {
  /** The dead-letter topic to read, e.g. `orders.DLT`. */
  from: string;
  /** The topic to write to; default: each message's `x-ekafka-original-topic`. */
  to?: string;
  /** The `kafka.producers.<name>` entry that writes the messages back. */
  producer: string;
  /** The `kafka.consumerGroups.<name>` entry whose settings (brokers, security, timings) the reader uses; or set consumerName. */
  consumerGroupName?: string;
  /** Instead of consumerGroupName: the `kafka.consumers.<name>` entry whose settings the reader uses (a Go-style TOML). */
  consumerName?: string;
  /** The group that remembers how far replaying got, so a second run goes on from there. Default `<from>.replay`. */
  groupID?: string;
  /** Replays only the messages it returns true for; the others are passed over (and count as done). */
  filter?: (message: Message) => boolean;
  /** Ends the replay early when no message arrives for this long (ms). Default 30 s. */
  idleTimeoutMs?: number;
  /** Aborts the replay; what was written and committed stays so. */
  signal?: AbortSignal;
}

/** What a replay did. */
export interface ReplayResult {
  /** Messages written back. */
  replayed: number;
  /** Messages passed over by the filter. */
  skipped: number;
}

/** The header a replayed message carries: the dead letter it came from, `<topic>[<partition>]@<offset>`. */
export const REPLAYED_FROM_HEADER = "x-ekafka-replayed-from";

/**
 * Moves the messages of a dead-letter topic back to their topic, once the cause of their failure is
 * fixed: each is written (key, value and its own headers; the `x-ekafka-*` failure headers are dropped
 * and {@link REPLAYED_FROM_HEADER} added), and only once the write was acknowledged is its dead-letter
 * offset committed, in the group `groupID` — so a replay that is interrupted goes on where it stopped,
 * and repeats at most the messages in flight. It reads up to the end the topic had when the replay began
 * (a message that fails again and comes back is left for the next replay), then resolves.
 *
 * @example
 * const { replayed } = await replayDeadLetters(kafka, { from: "orders.DLT", producer: "replay", consumerGroupName: "cg1" });
 * @throws Error naming the message when it has no original topic and no `to` was given, or when not
 *   exactly one of consumerGroupName and consumerName is set
 */
export async function replayDeadLetters(component: Component, options: ReplayOptions): Promise<ReplayResult> {
  const { from } = options;
  const reader = readerOf(options);
  const client = component.client();
  const [ends, starts] = await Promise.all([client.listOffsets(from, "latest"), client.listOffsets(from, "earliest")]);
  const groupID = options.groupID ?? `${from}.replay`;
  const committed = new Map((await client.offsetFetch(groupID, from)).map((p) => [p.partition, p.offset]));
  const endOf = new Map(ends.map((p) => [p.partition, p.offset]));
  const remaining = new Set(
    ends
      .filter(
        (end) => end.offset > Math.max(committed.get(end.partition) ?? 0, starts.find((s) => s.partition === end.partition)?.offset ?? 0),
      )
      .map((p) => p.partition),
  );
  const result: ReplayResult = { replayed: 0, skipped: 0 };
  const aborted = () => options.signal?.aborted === true;
  if (remaining.size === 0) return result;
  const producer = component.producer(options.producer);
  const group = component.derivedConsumerGroup(reader.name, { from: reader.tree, groupID, topics: [from], startOffset: -2 });
  try {
    while (remaining.size > 0 && !aborted()) {
      let event: Awaited<ReturnType<typeof group.poll>>;
      try {
        event = await group.poll({
          timeoutMs: options.idleTimeoutMs ?? 30_000,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        if (error instanceof PollTimeoutError || aborted()) break;
        throw error;
      }
      if (event instanceof Error && (event as { fatal?: unknown }).fatal === true) throw event;
      if (!(event instanceof Message)) continue;
      const end = endOf.get(event.partition) ?? 0;
      if (!remaining.has(event.partition) || event.offset >= end) continue; // newer than the replay: the next one's
      if (options.filter === undefined || options.filter(event)) {
        await producer.writeMessages(replayRecord(event, options.to));
        result.replayed++;
      } else {
        result.skipped++;
      }
      group.storeOffsets(event);
      if (event.offset >= end - 1) remaining.delete(event.partition);
    }
  } finally {
    await group.close(); // commits the stored offsets (the offset ledger's part), then leaves the group
  }
  return result;
}

/** The entry whose settings the replay reads with. */
function readerOf(options: ReplayOptions): { tree: ReaderTree; name: string } {
  const { consumerGroupName, consumerName } = options;
  if ((consumerGroupName === undefined) === (consumerName === undefined)) {
    throw new Error(
      "replayDeadLetters: set exactly one of consumerGroupName (a kafka.consumerGroups entry) and consumerName (a kafka.consumers entry), whose settings the reader uses",
    );
  }
  return consumerName !== undefined ? { tree: "consumers", name: consumerName } : { tree: "consumerGroups", name: consumerGroupName! };
}

function replayRecord(message: Message, to: string | undefined) {
  const topic = to ?? message.header(RETRY_TIER_HEADERS.originalTopic);
  if (topic === undefined) {
    throw new Error(
      `replayDeadLetters: ${message.topic}[${message.partition}]@${message.offset} has no ${RETRY_TIER_HEADERS.originalTopic} header; say where to write it with \`to\``,
    );
  }
  const headers: Header[] = [
    ...message.headers.filter((h) => !isTierHeader(h.key) && h.key !== REPLAYED_FROM_HEADER),
    { key: REPLAYED_FROM_HEADER, value: Buffer.from(`${message.topic}[${message.partition}]@${message.offset}`) },
  ];
  return { topic, key: message.key, value: message.value, headers };
}
