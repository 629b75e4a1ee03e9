// kafka-go (the library Go's Ego ekafka wraps; classic protocol, range/roundrobin assignors) sharing a
// group with an ekafka member that reads with cooperative-sticky or with groupProtocol = "consumer"
// (KIP-848), each side joining first in turn: what each side reads and which error the broker gives.
// A kafka-go upgrade that changes the outcome makes these fail, so the README's "Moving from Go" row
// can be revisited.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PollTimeoutError, type Message } from "ekafka";
import { componentsClosedAfterEach } from "../e2e/support/component.js";
import { uniqueName } from "../e2e/support/env.js";
import { createTopic } from "../e2e/support/raw.js";
import { scenarioToml } from "../e2e/support/scenario.js";
import { sleep, until } from "../e2e/support/wait.js";
import { buildKgo, startKgo, type Report, type RunningKgo } from "./support/kgo.js";

const { build } = componentsClosedAfterEach();
let kgo: string;
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  kgo = await buildKgo();
}, 180_000);

afterEach(async () => {
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
});

const goValues = (m: RunningKgo) =>
  m
    .reports()
    .filter((r: Report) => r.event === "message")
    .map((r) => r.value as string);
const goErrors = (m: RunningKgo) => [
  ...m
    .reports()
    .filter((r: Report) => r.event === "error")
    .map((r) => r.error as string),
  ...m
    .stderr()
    .split("\n")
    .filter((line) => line.includes('"level":"error"'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg),
];

/** An ekafka ConsumerGroup member polling in the background: what it read and the errors it got. */
function ekafkaMember(toml: string) {
  const group = build(toml).consumerGroup("cg1");
  const values: string[] = [];
  const errors: string[] = [];
  const signal = new AbortController();
  const loop = (async () => {
    while (!signal.signal.aborted) {
      const event = await group.poll({ signal: signal.signal, timeoutMs: 500 }).catch((e: unknown) => e);
      if (event instanceof PollTimeoutError || signal.signal.aborted) continue;
      if (event instanceof Error) errors.push(event.message);
      else if ((event as Message).valueString !== undefined && "offset" in (event as object)) {
        values.push((event as Message).valueString());
        await group.commitMessages(event as Message);
      }
    }
  })();
  const stop = async () => {
    signal.abort();
    await loop;
    await group.close();
  };
  stops.push(stop);
  return { values, errors, stop };
}

const COOPERATIVE = 'assignmentStrategy = "cooperative-sticky"\nheartbeatInterval = "500ms"\nsessionTimeout = "6s"';

describe("kafka-go and ekafka members under the newer group protocols: the group is never shared", () => {
  it.each([
    { ours: "cooperative-sticky", keys: COOPERATIVE, first: "Go", refused: /Inconsistent group protocol/i },
    { ours: "cooperative-sticky", keys: COOPERATIVE, first: "ekafka", refused: /\[23\] Inconsistent Group Protocol/ },
    // The broker cannot convert kafka-go's classic group (its subscription metadata) to a consumer
    // group: librdkafka ends the member with a fatal error.
    { ours: 'groupProtocol = "consumer"', keys: 'groupProtocol = "consumer"', first: "Go", refused: /Local: Fatal error/ },
    // Nor take kafka-go's JoinGroup into a consumer group: an unexpected server error.
    {
      ours: 'groupProtocol = "consumer"',
      keys: 'groupProtocol = "consumer"',
      first: "ekafka",
      refused: /\[-1\] Unknown: an unexpected server error/,
    },
  ])(
    "ekafka with $ours, $first first: the first member keeps reading every message, the other is refused ($refused) and reads none",
    async ({ keys, first, refused }) => {
      const topic = uniqueName("interop-protocols");
      const groupID = uniqueName("g-protocols");
      await createTopic(topic, 3, 3);
      const toml = scenarioToml({ topic, groupID, groupKeys: `maxWait = "100ms"\n${keys}` });
      const writer = build(toml);
      let sent = 0;
      let producing = true;
      const production = (async () => {
        while (producing) {
          await writer.producer("p1").writeMessages({ value: `v${sent++}` });
          await sleep(40);
        }
      })();
      const startGo = () => {
        const go = startKgo(kgo, ["member", "-topic", topic, "-group", groupID]);
        stops.push(() => go.stop());
        return go;
      };
      try {
        let go: RunningKgo;
        let ts: ReturnType<typeof ekafkaMember>;
        if (first === "Go") {
          go = startGo();
          await until(() => goValues(go).length > 0, 60_000, "Go reading");
          ts = ekafkaMember(toml);
        } else {
          ts = ekafkaMember(toml);
          await until(() => ts.values.length > 0, 60_000, "ekafka reading");
          go = startGo();
        }
        const [firstRead, secondRead, secondErrors] =
          first === "Go"
            ? [() => goValues(go), () => ts.values, () => ts.errors]
            : [() => ts.values, () => goValues(go), () => goErrors(go)];
        await until(
          () => secondErrors().some((e) => refused.test(e)),
          60_000,
          () => `the second member refused; its errors: ${secondErrors().join("; ")}`,
        );
        // The first goes on reading every message written from now on, alone.
        const from = sent;
        await until(
          () => Array.from({ length: 25 }, (_, i) => `v${from + i}`).every((v) => firstRead().includes(v)),
          60_000,
          "the first member reading the next 25 messages",
        );
        console.log(
          `ekafka with ${keys.split("\n")[0]}, ${first} first: the first read ${firstRead().length}, the second ${secondRead().length}; ` +
            `the second's errors ${JSON.stringify([...new Set(secondErrors())].slice(0, 3))}`,
        );
        expect(secondRead()).toEqual([]);
      } finally {
        producing = false;
        await production;
      }
    },
    120_000,
  );
});
