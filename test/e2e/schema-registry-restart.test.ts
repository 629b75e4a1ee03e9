// The schema registry stopped and started again (the brokers keep running): writes that need it fail
// within kafka.schemaRegistry.timeout naming its URL, writes go on after it is back, nothing
// acknowledged is lost, and its schemas (and their ids) survive the restart. Local cluster only.
import { createServer, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { SchemaRegistryError, type Message } from "ekafka";
import { componentsClosedAfterEach } from "./support/component.js";
import { cluster, localCluster, uniqueName } from "./support/env.js";
import { createTopic } from "./support/raw.js";
import {
  formatConsumerToml,
  formatProducerKeys,
  formatProducerToml,
  latestSchemaId,
  registryToml,
  registryUrl,
} from "./support/schema-registry.js";

const components = componentsClosedAfterEach();
const TIMEOUT_MS = 3000; // registryToml's timeout

interface Order {
  id: string;
  amount: number;
  paid: boolean;
}
const order = (id: string): Order => ({ id, amount: 1, paid: true });

describe.skipIf(!localCluster || process.env.EKAFKA_E2E_SCHEMA_REGISTRY !== undefined)("the schema registry restarted", () => {
  afterAll(async () => {
    await cluster("start-registry"); // whatever the test's outcome, the registry runs again
  });

  it("fails writes that need it within the timeout, naming the URL; after it is back writes go on and nothing acknowledged is lost", async () => {
    const known = uniqueName("e2e-srr-known");
    const fresh = uniqueName("e2e-srr-fresh");
    await createTopic(known, 1, 3);
    await createTopic(fresh, 1, 3);
    const kafka = components.build(
      registryToml +
        formatProducerToml("known", known, "avro", "order.avsc") +
        formatProducerToml("fresh", fresh, "avro", "order.avsc") +
        formatConsumerToml("readKnown", known, "avro") +
        formatConsumerToml("readFresh", fresh, "avro"),
    );
    const acknowledged: Record<string, string[]> = { [known]: [], [fresh]: [] };
    const write = async (name: "known" | "fresh", topic: string, id: string) => {
      await kafka.producer(name).writeMessages({ value: order(id) });
      acknowledged[topic]!.push(id);
    };
    await write("known", known, "before-1");
    const idBefore = await latestSchemaId(`${known}-value`);

    await cluster("stop-registry");
    // A topic whose schema id is not known yet needs the registry: the write fails, naming its URL.
    const started = Date.now();
    const error = await write("fresh", fresh, "during-1").then(
      () => undefined,
      (err: unknown) => err,
    );
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(SchemaRegistryError);
    expect((error as Error).message).toContain(`the schema registry at ${registryUrl} (kafka.schemaRegistry.url)`);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000);
    // A topic whose schema id is known already writes on: the id is cached, no registry call is made.
    await write("known", known, "during-2");

    await cluster("start-registry");
    await write("fresh", fresh, "after-1");
    await write("known", known, "after-2");
    // The schema kept its id across the restart (the registry's storage is a file).
    expect(await latestSchemaId(`${known}-value`)).toBe(idBefore);

    const readAll = async (name: string, count: number) => {
      const out: Message[] = [];
      for (let i = 0; i < count; i++) out.push(await kafka.consumer(name).readMessage({ timeoutMs: 30_000 }));
      return out.map((m) => (m.data as Order).id);
    };
    expect(await readAll("readKnown", 3)).toEqual(acknowledged[known]);
    expect(await readAll("readFresh", 1)).toEqual(acknowledged[fresh]);
    expect(acknowledged).toEqual({ [known]: ["before-1", "during-2", "after-2"], [fresh]: ["after-1"] });
  });
});

describe("a schema registry that does not answer", () => {
  it("fails the write after kafka.schemaRegistry.timeout, naming the URL", async () => {
    // A server that accepts connections and never answers: the registry hangs rather than refuses.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const kafka = components.build(`
[kafka.schemaRegistry]
url = "${url}"
timeout = "1s"
[kafka.producers.p1]
topic = "${uniqueName("e2e-srr-silent")}"
${formatProducerKeys("avro", "order.avsc")}`);
      // The serializers' library loads on first use (up to seconds here): loaded first, it is not timed.
      await import("@confluentinc/schemaregistry");
      const started = Date.now();
      const error = await kafka
        .producer("p1")
        .writeMessages({ value: order("x") })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(SchemaRegistryError);
      expect((error as Error).message).toContain(`the schema registry at ${url} (kafka.schemaRegistry.url) did not answer within 1000 ms`);
      expect(elapsed).toBeGreaterThanOrEqual(1000);
      expect(elapsed).toBeLessThan(2500);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
