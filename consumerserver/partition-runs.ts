import type { Message } from "../src/index.js";
import { laneOf } from "./partition-pauses.js";

/**
 * Splits fetched messages into runs of one partition each, in offset order, of at most `size` messages:
 * the batches of `onEachBatch`. Runs of different partitions keep the order of their first message.
 */
export function partitionRuns(messages: readonly Message[], size: number): Message[][] {
  // The runs still open (not full) per partition; a fetch brings runs of one partition, so the run is
  // looked up only where the partition changes.
  const open = new Map<string, Message[]>();
  const order: Message[][] = [];
  let run: Message[] | undefined;
  let lastTopic: string | undefined;
  let lastPartition = -1;
  for (const message of messages) {
    if (message.topic !== lastTopic || message.partition !== lastPartition) {
      lastTopic = message.topic;
      lastPartition = message.partition;
      run = open.get(laneOf(message));
    }
    if (run === undefined || run.length >= size) {
      run = [];
      open.set(laneOf(message), run);
      order.push(run);
    }
    run.push(message);
  }
  return order;
}
