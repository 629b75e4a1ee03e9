// A consumer-group poll loop: poll() returns messages, AssignedPartitions and RevokedPartitions in the
// order they happened. member1 starts alone and gets all three partitions; when member2 joins, the group
// rebalances: member1's partitions are revoked and the two share them.
import { fileURLToPath } from "node:url";
import { config, configPathFromArgs } from "ekafka/core";
import { AssignedPartitions, KafkaError, load, Message, RevokedPartitions, type ConsumerGroup, type TopicPartition } from "ekafka";

const TOPIC = "ekafka-example-group";
const BATCH = 6;

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/consumer-group/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);
const stop = new AbortController();
const seen = { mine: 0, assignments: new Map<string, number>() };

const list = (partitions: TopicPartition[]) => partitions.map((p) => p.partition).join(",") || "none";

/** Polls until stopped, printing each event. */
async function pollLoop(name: string, group: ConsumerGroup): Promise<void> {
  while (!stop.signal.aborted) {
    const event = await group.poll({ signal: stop.signal }).catch((error: unknown) => {
      if (stop.signal.aborted) return undefined; // stopping: the abort is expected
      throw error;
    });
    if (event === undefined) return;
    if (event instanceof Message) {
      const ours = event.keyString().startsWith(`${run}-`);
      if (ours) seen.mine++;
      console.log(
        `${name}: message partition=${event.partition} offset=${event.offset} ${ours ? `value="${event.valueString()}"` : "(an earlier run's)"}`,
      );
      await group.commitMessages(event);
    } else if (event instanceof AssignedPartitions) {
      seen.assignments.set(name, (seen.assignments.get(name) ?? 0) + 1);
      console.log(`${name}: assigned partitions ${list(event.partitions)}`);
    } else if (event instanceof RevokedPartitions) {
      // Finish the work of these partitions before polling again: the next poll commits and lets them go.
      console.log(`${name}: revoked partitions ${list(event.partitions)}`);
    } else if (event instanceof KafkaError) {
      console.log(`${name}: error ${event.message} (retriable: ${event.retriable})`);
    }
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function write(from: number): Promise<void> {
  const messages = Array.from({ length: BATCH }, (_, i) => ({ key: `${run}-${from + i}`, value: `message ${from + i + 1} of run ${run}` }));
  console.log(`writing ${BATCH} messages`);
  await kafka.producer("p1").writeMessages(...messages);
}

try {
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  await write(0);
  const loops = [pollLoop("member1", kafka.consumerGroup("member1"))];
  await until(() => seen.mine === BATCH, "member1 to read the first messages");

  console.log("member2 joins the group");
  loops.push(pollLoop("member2", kafka.consumerGroup("member2")));
  await until(() => (seen.assignments.get("member2") ?? 0) > 0 && (seen.assignments.get("member1") ?? 0) > 1, "the rebalance");
  await write(BATCH);
  await until(() => seen.mine === 2 * BATCH, "both members to read the second messages");

  stop.abort();
  await Promise.all(loops);
} finally {
  stop.abort();
  await kafka.close(); // commits the stored offsets, both members leave the group
}
console.log("consumer-group example done");
