// The governor's routes over real HTTP on a free loopback port, with stand-in servers reporting a status.
import { Registry, Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { App, Config, governor, type Server, type ServerStatus } from "../../../src/core/index.js";
import { until } from "../support/until.js";

function fakeServer(name: string, status?: () => ServerStatus): Server {
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  return {
    name,
    start: () => stopped,
    stop: async () => stop(),
    gracefulStop: async () => stop(),
    ...(status === undefined ? {} : { status }),
  };
}

const build = (registry = new Registry(), ...servers: Server[]) =>
  governor
    .load("server.governor", new Config().loadString('[server.governor]\nhost = "127.0.0.1"\nport = 0'))
    .build(governor.withRegistry(registry), governor.withProcessMetrics(false), governor.withServers(...servers));

const open: governor.Governor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.stop()));
});

async function started(g: governor.Governor): Promise<string> {
  open.push(g);
  await g.init();
  void g.start();
  return g.url!;
}

describe("governor config", () => {
  it("defaults to Ego's 0.0.0.0:9003", () => {
    const container = governor.load("server.governor", new Config());
    expect(container.config).toEqual({ host: "0.0.0.0", port: 9003 });
  });

  it("names the key of a port out of range", () => {
    expect(() => governor.load("server.governor", new Config().loadString("[server.governor]\nport = 70000"))).toThrow(
      /server\.governor\.port/,
    );
  });
});

describe("governor routes", () => {
  it("serves the registry at /metrics in the text exposition format", async () => {
    const registry = new Registry();
    new Counter({ name: "demo_total", help: "A demo counter.", registers: [registry] }).inc(3);
    const url = await started(build(registry));
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(registry.contentType);
    expect(await response.text()).toContain("demo_total 3");
  });

  it("answers /readyz 503 with the reason while a server is not ready, 200 once it is", async () => {
    let ready = false;
    const url = await started(
      build(
        new Registry(),
        fakeServer("s1", () => ({ ready, live: true, reason: ready ? "member" : "joining the group" })),
        fakeServer("plain"),
      ),
    );
    const before = await fetch(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ ok: false, reason: "s1: joining the group" });
    ready = true;
    const after = await fetch(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({
      ok: true,
      servers: [
        { name: "s1", ready: true },
        { name: "plain", ready: true },
      ],
    });
  });

  it("answers /livez 503 when a server stopped with an error", async () => {
    const url = await started(
      build(
        new Registry(),
        fakeServer("s1", () => ({ ready: false, live: false, reason: "failed: boom" })),
      ),
    );
    const response = await fetch(`${url}/livez`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, reason: "s1: failed: boom" });
  });

  it("lists each server's status at /debug/servers and registered configs at /debug/config", async () => {
    const unregister = governor.registerDebugConfig("demo", () => ({ password: "******" }));
    try {
      const url = await started(
        build(
          new Registry(),
          fakeServer("s1", () => ({ ready: true, live: true, reason: "ok", details: { lag: 0 } })),
        ),
      );
      expect(await (await fetch(`${url}/debug/servers`)).json()).toEqual({
        servers: [{ name: "s1", ready: true, live: true, reason: "ok", details: { lag: 0 } }],
      });
      const configs = (await (await fetch(`${url}/debug/config`)).json()) as { components: Record<string, unknown> };
      expect(configs.components.demo).toEqual({ password: "******" });
    } finally {
      unregister();
    }
  });

  it("answers 404 naming the routes for an unknown path and 405 for a write", async () => {
    const url = await started(build());
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("/readyz");
    expect((await fetch(`${url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("fails init naming the key and address when the port is taken", async () => {
    const first = build();
    const url = await started(first);
    const port = new URL(url).port;
    const second = governor
      .load("server.governor", new Config().loadString(`[server.governor]\nhost = "127.0.0.1"\nport = ${port}`))
      .build(governor.withProcessMetrics(false));
    await expect(second.init()).rejects.toThrow(`server.governor: cannot listen on 127.0.0.1:${port}`);
  });

  it("watches the servers of the App it is served by", async () => {
    const g = build();
    const other = fakeServer("worker", () => ({ ready: false, live: true, reason: "warming up" }));
    const app = new App({ signals: [] }).serve(g, other);
    const running = app.run();
    await until(() => g.url !== undefined); // the governor has an address once it listens (the App's init)
    const response = await fetch(`${g.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ reason: "worker: warming up" });
    await app.stop();
    await running;
  });
});
