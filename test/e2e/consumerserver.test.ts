// The Consumer Server on the 3-broker cluster: the Go original's three scenarios, retries, dead letters,
// partition concurrency, stopping, and decorated handlers.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AssignedPartitions, Message, RevokedPartitions, withServerInterceptor, type Component, type Interceptor } from "ekafka";
import { App, Config, inject, injectable } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { eachMessage, RecoverableError, registerHandlers, type ErrorDetails, type MessageContext } from "ekafka/consumerserver";
import { load } from "ekafka";
import { componentsClosedAfterEach, e2eConfig, FAST_GROUP } from "./support/component.js";
import { committed } from "./support/group.js";
import { serverScenario } from "./support/scenario.js";
import { until } from "./support/wait.js";
import { uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";

const components = componentsClosedAfterEach();

/** A Config holding `[kafka]` (brokers from e2e.toml) plus `toml`, and the component built from it. */
function setup(toml: string): { cfg: Config; kafka: Component } {
  const cfg = e2eConfig(toml);
  return { cfg, kafka: components.track(load("kafka", cfg).build()) };
}

/** A topic, one group read through `c1` or `cg1`, a producer `p1` writing it and server `s1` naming both (so onEachMessage reads with `c1`, as in Go). */
const scenario = (options: { partitions?: number; extra?: string; serverKeys?: string } = {}) =>
  serverScenario({
    name: "cs",
    reader: "both",
    serverOptions: [consumerserver.withRetry({ backoffMs: 20 })],
    track: components.track,
    ...options,
  });

describe("the Go original's Consumer Server scenarios", () => {
  it("onEachMessage handles a random message, in an App, and commits it on a graceful stop", async () => {
    const s = scenario();
    await s.create();
    const { kafka, server } = s.build();
    const handled: Message[] = [];
    const contexts: MessageContext[] = [];
    server.onEachMessage((ctx, message) => {
      contexts.push(ctx);
      handled.push(message);
    });
    const app = new App({ stopTimeoutMs: 20_000 }).serve(server);
    const running = app.run();
    const value = randomBytes(16).toString("hex");
    await kafka.producer("p1").writeMessages({ key: "random", value });
    await until(() => handled.length === 1, 30_000, "the message");
    await app.stop();
    await running;

    const [message] = handled;
    expect(message!.valueString()).toBe(value);
    expect(message!.keyString()).toBe("random");
    expect(contexts[0]!.attempt).toBe(1);
    expect(contexts[0]!.signal.aborted).toBe(false);
    expect(contexts[0]!.message).toBe(message);
    expect(await committed(kafka, s.groupID, s.topic, message!.partition)).toBe(message!.offset + 1);
  });

  it("onStart hands the handler a consumer; the server stops when the handler returns", async () => {
    const s = scenario();
    await s.create();
    const { kafka, server } = s.build();
    const value = randomBytes(16).toString("hex");
    let read: Message | undefined;
    server.onStart(async (ctx, consumer) => {
      read = await consumer.readMessage({ signal: ctx.signal });
    });
    const started = server.start();
    await kafka.producer("p1").writeMessages({ value });
    await started;
    expect(read?.valueString()).toBe(value);
  });

  it("onConsumerGroupStart sees exactly 1 AssignedPartitions and 0 RevokedPartitions before its message", async () => {
    const s = scenario();
    await s.create();
    const { kafka, server } = s.build();
    const value = randomBytes(16).toString("hex");
    let assigned = 0;
    let revoked = 0;
    let read: Message | undefined;
    server.onConsumerGroupStart(async (ctx, group) => {
      while (read === undefined) {
        const event = await group.poll({ signal: ctx.signal });
        if (event instanceof AssignedPartitions) assigned++;
        else if (event instanceof RevokedPartitions) revoked++;
        else if (event instanceof Message) {
          read = event;
          group.storeOffsets(event);
        }
      }
    });
    const started = server.start();
    await kafka.producer("p1").writeMessages({ value });
    await started;
    expect(read?.valueString()).toBe(value);
    expect(assigned).toBe(1);
    expect(revoked).toBe(0);
  });
});

describe("retries", () => {
  it("a handler failing recoverably twice is called 3 times, and the message is committed once handled", async () => {
    const s = scenario();
    await s.create();
    const { kafka, server } = s.build();
    const calls: number[] = [];
    const errors: ErrorDetails[] = [];
    let succeeded = 0;
    server.onEachMessage(
      (ctx) => {
        calls.push(ctx.attempt);
        if (ctx.attempt <= 2) throw new Error("database busy", { cause: new RecoverableError("timeout") });
        succeeded++;
      },
      (_error, details) => errors.push(details),
    );
    const started = server.start();
    await kafka.producer("p1").writeMessages({ value: "retry-me" });
    await until(() => succeeded === 1, 30_000, "the third call");
    await server.gracefulStop();
    await started;

    expect(calls).toEqual([1, 2, 3]);
    expect(errors.map((d) => [d.phase, d.attempt, d.retrying])).toEqual([
      ["handle", 1, true],
      ["handle", 2, true],
    ]);
    const message = errors[0]!.message!;
    expect(await committed(kafka, s.groupID, s.topic, message.partition)).toBe(message.offset + 1);
  });

  it("a handler always failing recoverably is called 4 times, stops the server uncommitted, and the next member gets the message again", async () => {
    const s = scenario();
    await s.create();
    const first = s.build();
    const seen: Array<{ partition: number; offset: number; attempt: number }> = [];
    first.server.onEachMessage((ctx, message) => {
      seen.push({ partition: message.partition, offset: message.offset, attempt: ctx.attempt });
      throw new RecoverableError(`still failing (call ${ctx.attempt})`);
    });
    const started = first.server.start();
    await first.kafka.producer("p1").writeMessages({ value: "poison" });
    await expect(started).rejects.toThrow("still failing (call 4)");
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3, 4]);
    const { partition, offset } = seen[0]!;
    expect(await committed(first.kafka, s.groupID, s.topic, partition)).toBe(-1);

    const second = s.build();
    let again: Message | undefined;
    second.server.onEachMessage((_ctx, message) => {
      again = message;
    });
    const restarted = second.server.start();
    await until(() => again !== undefined, 30_000, "the message again");
    await second.server.gracefulStop();
    await restarted;
    expect({ partition: again!.partition, offset: again!.offset, value: again!.valueString() }).toEqual({
      partition,
      offset,
      value: "poison",
    });
    expect(await committed(second.kafka, s.groupID, s.topic, partition)).toBe(offset + 1);
  });

  it("a handler throwing a non-Error stops the server with an Error naming the message", async () => {
    const s = scenario({ partitions: 1 });
    await s.create();
    const { kafka, server } = s.build();
    server.onEachMessage(() => {
      throw "not an error";
    });
    const started = server.start();
    await kafka.producer("p1").writeMessages({ value: "x" });
    await expect(started).rejects.toThrow(
      `the handler threw a non-Error value (string "not an error") while handling topic "${s.topic}" partition 0 offset 0`,
    );
  });
});

describe("dead letters", () => {
  it("parks the poisoned message on the dead-letter topic with its headers, and handles the next one", async () => {
    const deadTopic = uniqueName("e2e-cs-dead");
    await createTopic(deadTopic, 1, 3);
    const s = scenario({
      partitions: 1,
      extra: `
[kafka.producers.dlq]
topic = "${deadTopic}"
batchTimeout = "5ms"
[kafka.consumers.deadReader]
topic = "${deadTopic}"
groupID = "${uniqueName("g-dead")}"
${FAST_GROUP}
`,
      serverKeys: `deadLetterProducer = "dlq"`,
    });
    await s.create();
    const { kafka, server } = s.build({ server: [consumerserver.withRetry({ attempts: 1, backoffMs: 10 })] });
    const good: string[] = [];
    const errors: string[] = [];
    server.onEachMessage(
      (_ctx, message) => {
        if (message.valueString() === "poison") throw new RecoverableError("cannot parse");
        good.push(message.valueString());
      },
      (error, details) => errors.push(`${details.phase}: ${error.message}`),
    );
    const started = server.start();
    await kafka.producer("p1").writeMessages({ key: "k1", value: "poison", headers: { "x-app": "orders" } }, { key: "k2", value: "fine" });
    await until(() => good.length === 1, 30_000, "the message after the poisoned one");
    await server.gracefulStop();
    await started;
    expect(good).toEqual(["fine"]);
    expect(errors).toEqual(["handle: cannot parse", "handle: cannot parse"]);
    expect(await committed(kafka, s.groupID, s.topic, 0)).toBe(2);

    const parked = await kafka.consumer("deadReader").readMessage({ timeoutMs: 30_000 });
    expect(parked.valueString()).toBe("poison");
    expect(parked.keyString()).toBe("k1");
    expect({
      app: parked.header("x-app"),
      error: parked.header("x-ekafka-error"),
      attempts: parked.header("x-ekafka-attempts"),
      topic: parked.header("x-ekafka-original-topic"),
      partition: parked.header("x-ekafka-original-partition"),
      offset: parked.header("x-ekafka-original-offset"),
    }).toEqual({ app: "orders", error: "RecoverableError: cannot parse", attempts: "2", topic: s.topic, partition: "0", offset: "0" });
  });
});

describe("partition concurrency", () => {
  it("handles partitions in parallel and each partition strictly in order, pausing long queues", async () => {
    const s = scenario({ partitions: 3, serverKeys: "partitionConcurrency = true" });
    await s.create();
    const { kafka, server } = s.build({
      server: [consumerserver.withPartitionConcurrency(true, { maxQueuedPerPartition: 5, maxQueued: 1000 })],
    });
    const total = 600;
    await kafka.producer("p1").writeMessages(...Array.from({ length: total }, (_, i) => ({ partition: i % 3, value: `m${i}` })));

    const order = new Map<number, number[]>();
    let inFlight = 0;
    let mostInFlight = 0;
    let handled = 0;
    server.onEachMessage(async (_ctx, message) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      // The first message of each partition waits until all three are in flight together: this can only
      // finish if partitions are really handled in parallel.
      if (message.offset === 0) await until(() => inFlight >= 3, 20_000, "all three partitions in flight");
      else await new Promise((r) => setTimeout(r, 1 + (message.offset % 3)));
      order.set(message.partition, [...(order.get(message.partition) ?? []), message.offset]);
      inFlight--;
      handled++;
    });
    const started = server.start();
    await until(() => handled === total, 60_000, `${total} messages`);
    await server.gracefulStop();
    await started;

    expect(mostInFlight).toBe(3); // one per partition: never two of one partition at once
    for (const partition of [0, 1, 2]) {
      expect(order.get(partition)).toEqual(Array.from({ length: total / 3 }, (_, i) => i));
      expect(await committed(kafka, s.groupID, s.topic, partition)).toBe(total / 3);
    }
  });
});

describe("rebalancing", () => {
  it("a second server joining takes partitions over: every message is handled, each partition in order, at most 200 (the first member's maxQueued) handled twice", async () => {
    const s = scenario({ partitions: 3 });
    await s.create();
    const total = 3000;
    const a = s.build({ server: [consumerserver.withPartitionConcurrency(true, { maxQueuedPerPartition: 20, maxQueued: 200 })] });
    await a.kafka.producer("p1").writeMessages(...Array.from({ length: total }, (_, i) => ({ partition: i % 3, value: `m${i}` })));

    const handled = new Map<string, Array<{ partition: number; offset: number }>>([
      ["a", []],
      ["b", []],
    ]);
    const distinct = new Set<string>();
    const handler = (member: string) => async (_ctx: MessageContext, message: Message) => {
      await new Promise((r) => setTimeout(r, 2));
      handled.get(member)!.push({ partition: message.partition, offset: message.offset });
      distinct.add(`${message.partition}/${message.offset}`);
    };
    a.server.onEachMessage(handler("a"));
    const startedA = a.server.start();
    await until(() => distinct.size >= total / 4, 30_000, "the first member to be under way");

    const b = s.build({ server: [consumerserver.withPartitionConcurrency(true, { maxQueuedPerPartition: 20, maxQueued: 200 })] });
    b.server.onEachMessage(handler("b"));
    const startedB = b.server.start();
    await until(() => distinct.size === total, 60_000, `all ${total} messages`);
    await Promise.all([a.server.gracefulStop(), b.server.gracefulStop()]);
    await Promise.all([startedA, startedB]);

    const all = handled.get("a")!.length + handled.get("b")!.length;
    console.log(`rebalance: member a handled ${handled.get("a")!.length}, member b ${handled.get("b")!.length}, ${all - total} duplicates`);
    expect(handled.get("b")!.length).toBeGreaterThan(0);
    // The partitions that move are committed on revoke, after what is in flight on them finished: only
    // what the first member held fetched and not yet handled (maxQueued) may be handed to the second.
    expect(all - total).toBeLessThanOrEqual(200);
    for (const [member, list] of handled) {
      for (const partition of [0, 1, 2]) {
        const offsets = list.filter((h) => h.partition === partition).map((h) => h.offset);
        // In order: each message is the one after the previous, except where a new assignment restarts the
        // partition at its committed offset (a step back or in place, never a gap).
        const gaps = offsets.filter((offset, i) => i > 0 && offset > offsets[i - 1]! + 1);
        expect(gaps, `${member} partition ${partition}: skipped ahead`).toEqual([]);
      }
    }
    for (const partition of [0, 1, 2]) expect(await committed(b.kafka, s.groupID, s.topic, partition)).toBe(total / 3);
  });
});

describe("server interceptors and middlewares", () => {
  it("a server interceptor sees each message an onEachMessage handler handles, with its error; middlewares wrap the handler", async () => {
    const s = scenario({ partitions: 1 });
    await s.create();
    const seen: string[] = [];
    const interceptor: Interceptor = (next) => async (ctx, messages, cmd) => {
      try {
        await next(ctx, messages, cmd);
      } finally {
        if (cmd.operation === "HandleMessage")
          seen.push(
            `${ctx.key} ${messages.map((m) => m.valueString()).join(",")}: ${cmd.error === undefined ? "ok" : (cmd.error as Error).message}`,
          );
      }
    };
    const middlewareSaw: string[] = [];
    const { kafka, server } = s.build({
      kafka: [withServerInterceptor(interceptor)],
      server: [
        consumerserver.withMiddleware((next) => async (delivery) => {
          middlewareSaw.push(`${delivery.message.valueString()} attempts ${delivery.attempts}`);
          await next(delivery);
        }),
      ],
    });
    server.onEachMessage((_ctx, message) => {
      if (message.valueString() === "bad") throw new Error("cannot parse");
    });
    const started = server.start();
    await kafka.producer("p1").writeMessages({ value: "first" }, { value: "second" }, { value: "bad" }, { value: "never" });
    await expect(started).rejects.toThrow("cannot parse");
    // Read with consumerName c1, as in Go: the interceptor calls are those of kafka.consumers.c1.
    expect(seen).toEqual(["kafka.consumers.c1 first: ok", "kafka.consumers.c1 second: ok", "kafka.consumers.c1 bad: cannot parse"]);
    expect(middlewareSaw).toEqual(["first attempts 0", "second attempts 0", "bad attempts 0"]);
  });
});

describe("stopping", () => {
  it("a graceful stop lets the handler in flight finish and commits its message", async () => {
    const s = scenario({ partitions: 1 });
    await s.create();
    const { kafka, server } = s.build();
    let entered = false;
    let finished = false;
    let signalAborted: boolean | undefined;
    server.onEachMessage(async (ctx) => {
      entered = true;
      await new Promise((r) => setTimeout(r, 500));
      signalAborted = ctx.signal.aborted;
      finished = true;
    });
    const started = server.start();
    await kafka.producer("p1").writeMessages({ value: "slow" });
    await until(() => entered, 30_000, "the handler");
    await server.gracefulStop();
    expect(finished).toBe(true);
    expect(signalAborted).toBe(false);
    await started;
    expect(await committed(kafka, s.groupID, s.topic, 0)).toBe(1);
  });

  it("a hard stop aborts the handler's signal, does not wait for it, and leaves its message uncommitted", async () => {
    const s = scenario({ partitions: 1 });
    await s.create();
    const { kafka, server } = s.build();
    let entered = false;
    let aborted = false;
    let finishedLate = false;
    server.onEachMessage(
      (ctx) =>
        new Promise<void>((resolve) => {
          entered = true;
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            // a handler that ignores the abort and finishes later anyway: still not committed
            setTimeout(() => {
              finishedLate = true;
              resolve();
            }, 300);
          });
        }),
    );
    const started = server.start();
    await kafka.producer("p1").writeMessages({ value: "stuck" });
    await until(() => entered, 30_000, "the handler");
    await server.stop();
    await expect(started).resolves.toBeUndefined();
    expect(aborted).toBe(true);
    await until(() => finishedLate, 10_000, "the aborted handler to finish anyway");
    expect(await committed(kafka, s.groupID, s.topic, 0)).toBe(-1);
  });

  it("onStart: a stop aborts ctx.signal and waits for the handler to return", async () => {
    const s = scenario();
    await s.create();
    const { server } = s.build();
    let returned = false;
    let reading = false;
    server.onStart(async (ctx, consumer) => {
      reading = true;
      try {
        await consumer.readMessage({ signal: ctx.signal });
      } catch {
        // the abort
      }
      await new Promise((r) => setTimeout(r, 200));
      returned = true;
    });
    const started = server.start();
    await until(() => reading, 30_000, "the onStart handler to read");
    await server.gracefulStop();
    expect(returned).toBe(true);
    await expect(started).resolves.toBeUndefined();
  });
});

const AUDIT = Symbol("audit");

@injectable()
class AuditedOrders {
  constructor(@inject(AUDIT) readonly audit: string[]) {}

  @eachMessage("kafkaConsumerServers.decorated")
  handle(_ctx: MessageContext, message: Message): void {
    this.audit.push(`decorated:${message.valueString()}`);
  }
}

describe("several servers in one App, one of them declared with decorators", () => {
  it("runs both, with the decorated class's dependency injected", async () => {
    const topicA = uniqueName("e2e-cs-a");
    const topicB = uniqueName("e2e-cs-b");
    await createTopic(topicA, 1, 3);
    await createTopic(topicB, 1, 3);
    const { cfg, kafka } = setup(`
[kafka.producers.p1]
batchTimeout = "5ms"
[kafka.consumerGroups.a]
topic = "${topicA}"
groupID = "${uniqueName("g-a")}"
${FAST_GROUP}
[kafka.consumerGroups.b]
topic = "${topicB}"
groupID = "${uniqueName("g-b")}"
${FAST_GROUP}
[kafkaConsumerServers.plain]
consumerGroupName = "a"
[kafkaConsumerServers.decorated]
ConsumerGroupName = "b"
`);
    const audit: string[] = [];
    const plain = consumerserver.load("kafkaConsumerServers.plain", cfg).build(consumerserver.withEkafka(kafka));
    plain.onEachMessage((_ctx, message) => audit.push(`plain:${message.valueString()}`));
    const app = new App({ stopTimeoutMs: 20_000 }).bind(AUDIT, audit).bind("kafka", kafka).serve(plain);
    const servers = registerHandlers(app, AuditedOrders, { ekafka: "kafka", config: cfg });
    expect(servers.map((server) => server.name)).toEqual(["kafkaConsumerServers.decorated"]);
    const running = app.run();
    await kafka.producer("p1").writeMessages({ topic: topicA, value: "one" }, { topic: topicB, value: "two" });
    await until(() => audit.length === 2, 30_000, "both messages");
    await app.stop();
    await running;
    expect(audit.sort()).toEqual(["decorated:two", "plain:one"]);
    expect(app.resolve(AuditedOrders).audit).toBe(audit);
  });
});
