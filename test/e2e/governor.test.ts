// The governor in production use, over real HTTP against the 3-broker cluster: /metrics while a Consumer
// Server works through a backlog (lag falls to 0, the handler counter reaches the backlog), /readyz
// through joining and every broker becoming unreachable (the fault proxies close), OpenTelemetry spans
// from a write to its handler, and no secret in /debug/config, /debug/servers or any metric with SASL on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpanKind, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { App, Config, governor } from "ekafka/core";
import * as consumerserver from "ekafka/consumerserver";
import { RecoverableError } from "ekafka/consumerserver";
import { load, type Component } from "ekafka";
import { componentsClosedAfterEach, FAST_GROUP } from "./support/component.js";
import { brokers, localCluster, sasl, uniqueName } from "./support/env.js";
import { FaultProxies } from "./support/fault-proxy.js";
import { eventually } from "./support/wait.js";
import { createTopic, fillTopic } from "./support/raw.js";

const { track } = componentsClosedAfterEach();

/** A Config with `[kafka]` (brokers of e2e.toml unless `toml` sets them), the governor on a free loopback port, and `toml`. */
function configOf(toml: string, kafkaBrokers: readonly string[] = brokers): Config {
  return new Config().loadString(`
[server.governor]
host = "127.0.0.1"
port = 0
[kafka]
brokers = ${JSON.stringify(kafkaBrokers)}
statisticsInterval = "1s"
${toml}`);
}

/** One group member `cg` reading `topic` from the start, with the test cluster's short group timings. */
function groupToml(topic: string, groupID: string): string {
  return `
[kafka.consumerGroups.cg]
topic = "${topic}"
groupID = "${groupID}"
startOffset = -2
commitInterval = "200ms"
${FAST_GROUP}`;
}

interface Running {
  app: App;
  gov: governor.Governor;
  url: string;
  done: Promise<unknown>;
}

/** Runs the governor and `servers` in an App (no signal handling) until the test stops it. */
async function runApp(gov: governor.Governor, ...servers: consumerserver.ConsumerServer[]): Promise<Running> {
  const app = new App({ signals: [], stopTimeoutMs: 20_000 }).serve(gov, ...servers);
  const done = app.run().catch((error: unknown) => error);
  const url = await eventually(async () => gov.url, 30_000, "the governor to listen");
  return { app, gov, url, done };
}

async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() };
}

/** The samples of `metric` in an exposition text whose labels include `where`. */
function samples(text: string, metric: string, where: Record<string, string>): Array<{ labels: Record<string, string>; value: number }> {
  const found: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] !== metric) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(where).every(([name, value]) => labels[name] === value)) found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

const sum = (values: Array<{ value: number }>): number => values.reduce((total, s) => total + s.value, 0);

describe("governor /metrics", () => {
  it("shows the lag falling to 0 and the handler counter reaching 50,000 while a Consumer Server works through a 50,000-message backlog", async () => {
    const topic = uniqueName("gov-backlog");
    const groupID = uniqueName("gov-backlog-g");
    await createTopic(topic, 3);
    const total = 50_000;
    await fillTopic(
      topic,
      Array.from({ length: total }, (_, i) => `m${i}`),
    );

    const cfg = configOf(`${groupToml(topic, groupID)}\n[kafkaConsumerServers.backlog]\nconsumerGroupName = "cg"`);
    const kafka = track(load("kafka", cfg).build());
    const server = consumerserver.load("kafkaConsumerServers.backlog", cfg).build(consumerserver.withEkafka(kafka));
    let handled = 0;
    server.onEachMessage(() => {
      handled++;
      // Paced to at least 5 s for the 50,000 (the server alone works them off within one statistics round
      // of 1 s): several rounds see the backlog as lag.
      return handled % 1000 === 0 ? new Promise((resolve) => setTimeout(resolve, 100)) : undefined;
    });
    const running = await runApp(governor.load("server.governor", cfg).build(), server);
    try {
      const lagSeries = { group: groupID, topic };
      const lags: number[] = [];
      let last: { lag: number; ok: number; partitions: number } | undefined;
      await eventually(
        async () => {
          const scrape = await get(`${running.url}/metrics`);
          expect(scrape.status).toBe(200);
          expect(scrape.type).toContain("text/plain");
          const lag = samples(scrape.text, "ekafka_consumer_lag", lagSeries);
          const ok = sum(
            samples(scrape.text, "ekafka_consumerserver_handled_total", { server: "kafkaConsumerServers.backlog", topic, result: "ok" }),
          );
          if (lag.length > 0) lags.push(sum(lag));
          last = { lag: sum(lag), ok, partitions: lag.length };
          return last.partitions === 3 && last.lag === 0 && last.ok === total ? last : undefined;
        },
        240_000,
        "lag 0 on 3 partitions and 50,000 handled",
        500,
      );
      console.log(
        `backlog: ${lags.length} scrapes with a lag series; lags seen: first ${lags[0]}, max ${Math.max(...lags)}, last ${lags.at(-1)}; handled ${handled}`,
      );
      expect(Math.max(...lags)).toBeGreaterThan(0); // the backlog was visible as lag before it was worked off
      expect(lags.at(-1)).toBe(0);
      expect(last).toEqual({ lag: 0, ok: total, partitions: 3 });
      expect(handled).toBe(total);

      const scrape = await get(`${running.url}/metrics`);
      // The component's other metrics and prom-client's process metrics are in the same exposition.
      for (const name of [
        "ekafka_consumerserver_handler_seconds_bucket",
        "ekafka_consumerserver_in_flight_messages",
        "ekafka_consumer_committed_offset",
        "ekafka_consumer_high_watermark_offset",
        "ekafka_consumer_assigned_partitions",
        "ekafka_consumer_rebalances_total",
        "ekafka_client_brokers_up",
        "process_cpu_user_seconds_total",
      ]) {
        expect(scrape.text, name).toContain(`${name}`);
      }
      expect(sum(samples(scrape.text, "ekafka_consumer_committed_offset", lagSeries))).toBe(total);
      expect(sum(samples(scrape.text, "ekafka_consumer_assigned_partitions", { group: groupID }))).toBe(3);

      const servers = JSON.parse((await get(`${running.url}/debug/servers`)).text) as {
        servers: Array<{ name: string; ready: boolean; details: Record<string, unknown> }>;
      };
      const mine = servers.servers.find((s) => s.name === "kafkaConsumerServers.backlog")!;
      expect(mine.ready).toBe(true);
      expect(mine.details).toMatchObject({
        kind: "consumerserver",
        mode: "onEachMessage",
        phase: "running",
        group: groupID,
        lag: 0,
        inFlight: 0,
        lastError: null,
      });
      expect(mine.details.assignment).toHaveLength(3);
    } finally {
      await running.app.stop();
      expect(await running.done).toBeUndefined();
    }
  }, 420_000);
});

describe.runIf(localCluster)("governor /readyz", () => {
  // The server reaches the brokers only through the fault proxies: refusing makes every broker
  // unreachable for it (connections dropped, new ones refused, as with stopped brokers) while the cluster
  // itself runs on for the other tests.
  const proxies = new FaultProxies();
  // Another file may hold the proxies (one at a time): this waits for it.
  beforeAll(() => proxies.start(), 660_000);
  afterAll(() => proxies.close());

  it("answers 503 before the server joins its group, 200 after, 503 while no broker is reachable and 200 once they are back", async () => {
    const topic = uniqueName("gov-ready");
    const groupID = uniqueName("gov-ready-g");
    await createTopic(topic, 3);
    const cfg = configOf(`${groupToml(topic, groupID)}\n[kafkaConsumerServers.ready]\nconsumerGroupName = "cg"`, proxies.brokers);
    const kafka = track(load("kafka", cfg).build());
    const server = consumerserver.load("kafkaConsumerServers.ready", cfg).build(consumerserver.withEkafka(kafka));
    server.onEachMessage(() => undefined);
    const gov = governor.load("server.governor", cfg).build();
    const running = await runApp(gov, server);
    const readyz = async () => {
      const answer = await get(`${running.url}/readyz`);
      expect(answer.type).toContain("application/json");
      return { status: answer.status, body: JSON.parse(answer.text) as { ok: boolean; reason?: string } };
    };
    const waitFor = (status: number, timeoutMs: number, what: string) =>
      eventually(
        async () => {
          const answer = await readyz();
          return answer.status === status ? answer : undefined;
        },
        timeoutMs,
        what,
        500,
      );
    let cut = false;
    try {
      const before = await readyz();
      expect(before.status).toBe(503);
      expect(before.body.ok).toBe(false);
      expect(before.body.reason).toMatch(/kafkaConsumerServers\.ready: (not started|connecting|joining the group)/);

      const joined = await waitFor(200, 60_000, "ready after joining");
      expect(joined.body.ok).toBe(true);
      expect((await get(`${running.url}/livez`)).status).toBe(200);

      cut = true;
      await proxies.refuse();
      const down = await waitFor(503, 90_000, "not ready with no broker reachable");
      console.log(`readyz with no broker reachable: ${down.body.reason}`);
      expect(down.body.reason).toContain("no broker reachable");
      expect((await get(`${running.url}/livez`)).status).toBe(200); // not ready, but nothing to restart

      await proxies.listen();
      cut = false;
      const back = await waitFor(200, 180_000, "ready again once the brokers are back");
      expect(back.body.ok).toBe(true);
    } finally {
      if (cut) await proxies.listen();
      await running.app.stop();
    }
    expect(await running.done).toBeUndefined(); // the server ran on throughout: never restarted
  }, 480_000);
});

describe("OpenTelemetry spans", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
  });

  it("link a producer write to the handler that processed it, with the messaging conventions' attributes, retries and dead-lettering as events", async () => {
    const topic = uniqueName("gov-spans");
    const groupID = uniqueName("gov-spans-g");
    await createTopic(topic, 3);
    await createTopic(`${topic}.DLT`, 1);
    const cfg = configOf(`
[kafka.producers.p]
topic = "${topic}"
[kafka.producers.dlt]
${groupToml(topic, groupID)}
[kafkaConsumerServers.spans]
consumerGroupName = "cg"
deadLetterProducer = "dlt"`);
    const kafka: Component = track(load("kafka", cfg).build());
    const server = consumerserver
      .load("kafkaConsumerServers.spans", cfg)
      .build(consumerserver.withEkafka(kafka), consumerserver.withRetry({ backoffMs: 10 }));
    const handlerSpans = new Map<string, string>();
    const calls = new Map<string, number>();
    server.onEachMessage((ctx, message) => {
      const key = message.key!.toString();
      calls.set(key, (calls.get(key) ?? 0) + 1);
      // A span the handler makes in its context is a child of the process span.
      const child = trace.getTracer("handler").startSpan("handle", undefined, ctx.otelContext);
      handlerSpans.set(key, child.spanContext().spanId);
      child.end();
      if (key === "retry" && calls.get(key) === 1) throw new RecoverableError("try again");
      if (key === "dead") throw new Error("cannot handle this one");
    });
    const running = await runApp(governor.load("server.governor", cfg).build(), server);
    try {
      await kafka.producer("p").writeMessages({ key: "plain", value: "1" }, { key: "retry", value: "2" }, { key: "dead", value: "3" });
      const spans = await eventually(
        async () => {
          const finished = exporter.getFinishedSpans().filter((s) => s.attributes["messaging.destination.name"] === topic);
          return finished.filter((s) => s.kind === SpanKind.CONSUMER).length === 3 ? finished : undefined;
        },
        60_000,
        "three process spans",
      );

      const byKey = (kind: SpanKind) =>
        new Map(spans.filter((s) => s.kind === kind).map((s) => [String(s.attributes["messaging.kafka.message.key"]), s] as const));
      const sends = byKey(SpanKind.PRODUCER);
      const processes = byKey(SpanKind.CONSUMER);
      for (const key of ["plain", "retry", "dead"]) {
        const send = sends.get(key)!;
        const process = processes.get(key)!;
        expect(send.name).toBe(`send ${topic}`);
        expect(send.attributes).toMatchObject({
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.destination.name": topic,
        });
        expect(send.attributes["messaging.destination.partition.id"]).toMatch(/^[0-2]$/);
        expect(typeof send.attributes["messaging.kafka.offset"]).toBe("number");
        // The handler's span for the message has the process span as parent, whose parent is the write's span.
        expect(process.name).toBe(`process ${topic}`);
        expect(process.spanContext().traceId).toBe(send.spanContext().traceId);
        expect(parentOf(process)).toBe(send.spanContext().spanId);
        expect(process.attributes).toMatchObject({
          "messaging.system": "kafka",
          "messaging.operation.type": "process",
          "messaging.destination.name": topic,
          "messaging.destination.partition.id": send.attributes["messaging.destination.partition.id"],
          "messaging.consumer.group.name": groupID,
          "messaging.kafka.offset": send.attributes["messaging.kafka.offset"],
        });
        const handlerSpan = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === handlerSpans.get(key))!;
        expect(parentOf(handlerSpan)).toBe(process.spanContext().spanId);
      }
      const events = (key: string) => processes.get(key)!.events.map((e) => e.name);
      expect(events("plain")).toEqual([]);
      expect(events("retry")).toEqual(["exception", consumerserver.PROCESS_SPAN_EVENTS.retry]);
      expect(events("dead")).toEqual(["exception", consumerserver.PROCESS_SPAN_EVENTS.deadLetter]);

      // The same outcomes in the handler counter.
      const text = (await get(`${running.url}/metrics`)).text;
      const count = (result: string) =>
        sum(samples(text, "ekafka_consumerserver_handled_total", { server: "kafkaConsumerServers.spans", topic, result }));
      expect({ ok: count("ok"), retried: count("retried"), dead_lettered: count("dead_lettered"), failed: count("failed") }).toEqual({
        ok: 2,
        retried: 1,
        dead_lettered: 1,
        failed: 0,
      });
    } finally {
      await running.app.stop();
    }
  }, 180_000);
});

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe.runIf(sasl !== undefined)("secrets with SASL on", () => {
  it("appear neither in /debug/config, /debug/servers nor in any metric label", async () => {
    const password = sasl!.plainPassword;
    const topic = uniqueName("gov-sasl");
    await createTopic(topic, 3);
    const cfg = configOf(
      `saslMechanism = "PLAIN"
saslUserName = "${sasl!.plainUser}"
saslPassword = "${password}"
[kafka.properties]
"sasl.oauthbearer.client.secret" = "${password}"
[kafka.producers.p]
topic = "${topic}"
${groupToml(topic, uniqueName("gov-sasl-g"))}
[kafkaConsumerServers.sasl]
consumerGroupName = "cg"`,
      sasl!.brokers,
    );
    const kafka = track(load("kafka", cfg).build());
    const server = consumerserver.load("kafkaConsumerServers.sasl", cfg).build(consumerserver.withEkafka(kafka));
    let handled = 0;
    server.onEachMessage(() => {
      handled++;
    });
    const running = await runApp(governor.load("server.governor", cfg).build(), server);
    try {
      await kafka.producer("p").writeMessages({ key: "k", value: "v" });
      await eventually(async () => (handled === 1 ? true : undefined), 60_000, "the message to be handled");
      await eventually(async () => ((await get(`${running.url}/readyz`)).status === 200 ? true : undefined), 60_000, "ready");
      // A statistics round for every client: the producer's and the group's series are on /metrics.
      await eventually(
        async () => {
          const text = (await get(`${running.url}/metrics`)).text;
          const clients = ["kafka.producers.p", "kafka.consumerGroups.cg"];
          return clients.every((client) => samples(text, "ekafka_client_brokers_up", { client }).length > 0) ? true : undefined;
        },
        30_000,
        "statistics of the producer and the group on /metrics",
      );

      const debugConfig = await get(`${running.url}/debug/config`);
      const metrics = await get(`${running.url}/metrics`);
      const servers = await get(`${running.url}/debug/servers`);
      for (const answer of [debugConfig, metrics, servers]) {
        expect(answer.status).toBe(200);
        for (const form of [password, Buffer.from(password).toString("base64"), Buffer.from(password).toString("hex")])
          expect(answer.text).not.toContain(form);
      }
      // The redacted values are there, so the check above looked where secrets would be.
      const shown = JSON.parse(debugConfig.text) as {
        components: Record<
          string,
          {
            config: { saslPassword: string };
            librdkafka: { producers: Record<string, Record<string, unknown>>; consumerGroups: Record<string, Record<string, unknown>> };
          }
        >;
      };
      // sasl.username is sensitive to librdkafka, so it is redacted too: the component is the one with PLAIN.
      const component = Object.values(shown.components).find((c) => c.librdkafka.producers.p?.["sasl.mechanisms"] === "PLAIN")!;
      expect(component.librdkafka.producers.p!["sasl.username"]).toBe("******");
      expect(component.config.saslPassword).toBe("******");
      expect(component.librdkafka.producers.p!["sasl.password"]).toBe("******");
      expect(component.librdkafka.consumerGroups.cg!["sasl.password"]).toBe("******");
      expect(component.librdkafka.consumerGroups.cg!["sasl.oauthbearer.client.secret"]).toBe("******");
      expect(samples(metrics.text, "ekafka_client_brokers_up", { client: "kafka.producers.p" }).length).toBe(1);
    } finally {
      await running.app.stop();
    }
  }, 180_000);
});
