// SASL over the cluster's SASL_PLAINTEXT listener: every mechanism carries messages both ways, bad
// credentials fail fast with a reason (and never show a password), an unreachable cluster fails within
// client.timeout, and an unknown mechanism is refused at build.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "ekafka/core";
import { Message, withBrokers, withDebug, withLogger, type Component, type Option } from "ekafka";
import { buildComponent, FAST_GROUP, ledTopic } from "./support/component.js";
import { sasl, uniqueName } from "./support/env.js";

/** The SASL users of e2e.toml by mechanism (placeholders when it has none: the tests are skipped then). */
function users() {
  return [
    { mechanism: "PLAIN", user: sasl?.plainUser ?? "", password: sasl?.plainPassword ?? "-" },
    { mechanism: "SCRAM-SHA-256", user: sasl?.scram256User ?? "", password: sasl?.scram256Password ?? "-" },
    { mechanism: "SCRAM-SHA-512", user: sasl?.scram512User ?? "", password: sasl?.scram512Password ?? "-" },
  ];
}

/** The rejection of `promise` and how long it took to come. */
async function rejection(promise: () => Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await promise();
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error("expected a rejection, the call resolved");
}

/** Every text an error carries: message, stack, and those of its causes. */
function allText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) parts.push(e.message, String(e.stack));
    else parts.push(JSON.stringify(e));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join("\n");
}

/** A pino logger whose lines are collected. */
function capturingLogger(lines: string[]) {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return pino({ level: "trace" }, stream);
}

describe.runIf(sasl)("SASL", () => {
  const components: Component[] = [];
  afterAll(async () => {
    await Promise.all(components.map((c) => c.close().catch(() => undefined)));
  });

  function saslComponent(mechanism: string, user: string, password: string, body: string, ...extra: Option[]) {
    const kafka = buildComponent(
      `saslMechanism = "${mechanism}"\nsaslUserName = "${user}"\nsaslPassword = "${password}"\n${body}`,
      withBrokers(...sasl!.brokers),
      ...extra,
    );
    components.push(kafka);
    return kafka;
  }

  it.each(users())("$mechanism: a producer writes and a consumer group member reads it back", async ({ mechanism, user, password }) => {
    const topic = uniqueName(`security-${mechanism.toLowerCase()}`);
    const kafka = saslComponent(
      mechanism,
      user,
      password,
      `
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"

[kafka.consumerGroups.g1]
topic = "${topic}"
groupID = "${topic}"
startOffset = -2
${FAST_GROUP}
`,
    );
    // The admin client goes through SASL too.
    await kafka.client().createTopics([{ topic, numPartitions: 1, replicationFactor: 3 }]);
    await ledTopic(kafka, topic, 1, 10_000);
    const value = `hello over ${mechanism}`;
    await kafka.producer("p1").writeMessages({ key: mechanism, value });

    const group = kafka.consumerGroup("g1");
    const deadline = Date.now() + 30_000;
    let read: Message | undefined;
    while (read === undefined) {
      const event = await group.poll({ timeoutMs: Math.max(1, deadline - Date.now()) });
      if (event instanceof Error) throw event;
      if (event instanceof Message) read = event;
    }
    expect(read.topic).toBe(topic);
    expect(read.keyString()).toBe(mechanism);
    expect(read.valueString()).toBe(value);
  });

  it("a wrong password fails fast with every mechanism, says authentication failed, and shows no password", async () => {
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    });
    const secrets = users().flatMap(({ mechanism, password }) => [password, `Wrong-${mechanism}-pw-8d2c`]);
    try {
      // The mechanisms run side by side: each failure takes client.timeout.
      await Promise.all(
        users().map(async ({ mechanism, user }) => {
          const lines: string[] = [];
          const kafka = saslComponent(
            mechanism,
            user,
            `Wrong-${mechanism}-pw-8d2c`,
            `
enableAccessInterceptor = true
enableAccessInterceptorReq = true
[kafka.client]
timeout = "2s"
[kafka.producers.p1]
topic = "${uniqueName("security-wrong")}"
batchTimeout = "5ms"
`,
            withLogger(capturingLogger(lines)),
            withDebug(true),
          );
          const [write, ping] = await Promise.all([
            rejection(() => kafka.producer("p1").writeMessages({ value: "never delivered" })),
            rejection(() => kafka.client().ping()),
          ]);
          for (const { error, ms } of [write, ping]) {
            expect(ms, mechanism).toBeLessThan(10_000);
            expect(error.message, mechanism).toMatch(/authentication failed/i);
            for (const secret of secrets) expect(allText(error), mechanism).not.toContain(secret);
          }
          // the failure was logged (access line), just without the password
          expect(lines.join(""), mechanism).toMatch(/"operation":"WriteMessages"/);
          for (const secret of secrets) expect(lines.join(""), mechanism).not.toContain(secret);
        }),
      );
    } finally {
      spy.mockRestore();
    }
    // each failed write was printed as a debug line, none with a password
    const debugLines = stderr
      .join("")
      .split("\n")
      .filter((l) => /kafka\.producers\.p1 .*WriteMessages .*ERROR/.test(l));
    expect(debugLines).toHaveLength(3);
    for (const secret of secrets) expect(stderr.join("")).not.toContain(secret);
  });

  it("a wrong password fails a consumer group member too, without the password", async () => {
    const { user, password } = users()[2]!;
    const wrong = "Wrong-group-pw-51ab";
    const topic = uniqueName("security-wrong-group");
    const kafka = saslComponent(
      "SCRAM-SHA-512",
      user,
      wrong,
      `
[kafka.client]
timeout = "2s"
[kafka.consumerGroups.g1]
topic = "${topic}"
groupID = "${topic}"
timeout = "2s"
${FAST_GROUP}
`,
    );
    const started = Date.now();
    // Either a rejected poll or an Error event is acceptable here; what matters is the reason and speed.
    const outcome = await kafka
      .consumerGroup("g1")
      .poll({ timeoutMs: 10_000 })
      .then(
        (event) => event,
        (error: unknown) => error,
      );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/authentication failed/i);
    for (const secret of [wrong, password]) expect(allText(outcome)).not.toContain(secret);
  });
});

describe("an unreachable cluster", () => {
  const components: Component[] = [];
  afterAll(async () => {
    await Promise.all(components.map((c) => c.close().catch(() => undefined)));
  });

  it("makes client().ping() reject within client.timeout, saying no broker answered", async () => {
    const kafka = buildComponent(`[kafka.client]\ntimeout = "2s"`, withBrokers("127.0.0.1:1"));
    components.push(kafka);
    const { error, ms } = await rejection(() => kafka.client().ping());
    expect(ms).toBeLessThan(2_000 + 1_000);
    expect(error.message).toMatch(/no broker/i);
    expect(error.message).toContain("127.0.0.1:1");
    expect(error.message).toContain("2000 ms");
  });

  it("makes writeMessages reject within client.timeout", async () => {
    const kafka = buildComponent(
      `[kafka.client]\ntimeout = "1s"\n[kafka.producers.p1]\ntopic = "nowhere"\nbatchTimeout = "5ms"`,
      withBrokers("127.0.0.1:1"),
    );
    components.push(kafka);
    const { error, ms } = await rejection(() => kafka.producer("p1").writeMessages({ value: "x" }));
    expect(ms).toBeLessThan(1_000 + 1_000);
    expect(error.message).toContain("kafka.producers.p1");
    expect(error.message).toMatch(/did not answer|transport/i);
  });

  const unreachableGroup = (...options: Option[]) => {
    const kafka = buildComponent(
      `[kafka.client]\ntimeout = "1s"\n[kafka.consumerGroups.g1]\ntopic = "nowhere"\ngroupID = "nowhere"\ntimeout = "1s"\n${FAST_GROUP}`,
      withBrokers("127.0.0.1:1"),
      ...options,
    );
    components.push(kafka);
    return kafka;
  };

  it("makes a consumer group's poll fail within client.timeout, saying the brokers did not answer", async () => {
    const kafka = unreachableGroup();
    const started = Date.now();
    const outcome = await kafka
      .consumerGroup("g1")
      .poll({ timeoutMs: 10_000 })
      .then(
        (event) => event,
        (error: unknown) => error,
      );
    expect(Date.now() - started).toBeLessThan(1_000 + 1_000);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toContain("127.0.0.1:1");
    expect((outcome as Error).message).toMatch(/did not answer|refused/i);
  });

  // BUG (reported): Reader.next() (src/reader.ts) awaits the connection before it looks at timeoutMs and
  // signal, so a poll against an unreachable cluster waits the whole connect timeout (1 s here) whatever
  // timeoutMs says, and then rejects with the connect error instead of honouring its own deadline.
  it("honours poll({ timeoutMs }) while the cluster does not answer", async () => {
    const kafka = unreachableGroup();
    const { error, ms } = await rejection(() => kafka.consumerGroup("g1").poll({ timeoutMs: 100 }));
    expect(ms).toBeLessThan(600);
    expect(error.name).toBe("TimeoutError");
  });

  // BUG (reported): the native binding emits `event.error` as a plain Error, so every such error has
  // code -1; Reader.onClientError (src/reader.ts) matches codes (ERR__ALL_BROKERS_DOWN,
  // ERR__AUTHENTICATION) that never arrive, so none is surfaced as an event or rate-limited: one failed
  // connect writes dozens of identical "consumer error" warnings within milliseconds.
  it("logs a failed connect of a consumer group once or twice, not dozens of times", async () => {
    const lines: string[] = [];
    const kafka = unreachableGroup(withLogger(capturingLogger(lines)));
    await kafka
      .consumerGroup("g1")
      .poll({ timeoutMs: 10_000 })
      .catch(() => undefined);
    await kafka.close();
    const warnings = lines.filter((l) => l.includes('"consumer error"'));
    expect(warnings.length).toBeLessThanOrEqual(3);
  });
});

describe("an unknown saslMechanism", () => {
  it("fails at build, naming the accepted mechanisms and not the password", () => {
    const password = "Build-time-pw-93e1";
    let error: unknown;
    try {
      buildComponent(`saslMechanism = "SCRAM-SHA-1"\nsaslUserName = "u"\nsaslPassword = "${password}"`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("kafka.saslMechanism");
    expect(message).toContain('"SCRAM-SHA-1"');
    for (const accepted of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]) expect(message).toContain(accepted);
    expect(allText(error)).not.toContain(password);
  });
});
