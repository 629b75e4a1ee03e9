import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { App, createRootLogger, type Logger, type Server } from "../../../src/core/index.js";

interface FakeServerOptions {
  /** start() rejects with this error after the given delay. */
  failWith?: { error: Error; afterMs: number };
  /** start() throws synchronously. */
  throwOnStart?: Error;
  /** init() rejects. */
  failInit?: Error;
  /** gracefulStop() does not make start() resolve (a stuck server). */
  ignoreGracefulStop?: boolean;
  /** stop() does not make start() resolve either. */
  ignoreStop?: boolean;
  /** gracefulStop() rejects. */
  gracefulStopFails?: boolean;
  /** start() resolves on its own after this delay. */
  finishAfterMs?: number;
}

/** A server that records every lifecycle call into `events` as "<name> <call>". */
function fakeServer(name: string, events: string[], options: FakeServerOptions = {}): Server {
  let finish: (() => void) | undefined;
  return {
    name,
    async init() {
      events.push(`${name} init`);
      if (options.failInit) throw options.failInit;
    },
    start() {
      events.push(`${name} start`);
      if (options.throwOnStart) throw options.throwOnStart;
      return new Promise<void>((resolve, reject) => {
        finish = () => {
          events.push(`${name} stopped`);
          resolve();
        };
        if (options.failWith) {
          const { error, afterMs } = options.failWith;
          setTimeout(() => reject(error), afterMs);
        }
        if (options.finishAfterMs !== undefined) setTimeout(() => finish?.(), options.finishAfterMs);
      });
    },
    async gracefulStop() {
      events.push(`${name} gracefulStop`);
      if (options.gracefulStopFails) throw new Error(`${name} cannot stop gracefully`);
      if (!options.ignoreGracefulStop) setTimeout(() => finish?.(), 5);
    },
    async stop() {
      events.push(`${name} stop`);
      if (!options.ignoreStop) finish?.();
    },
  };
}

/** Collects the App's log lines (JSON) instead of printing them. */
function quietLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: createRootLogger({ destination: { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) } }), lines };
}

const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms));

let signalListenersBefore: { SIGINT: number; SIGTERM: number };
beforeEach(() => {
  signalListenersBefore = { SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") };
});
afterEach(() => {
  // Every test must leave the process's signal handling as it found it.
  expect({ SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") }).toEqual(signalListenersBefore);
});

describe("App.run", () => {
  it("initializes every server before starting any, and resolves when all have stopped on their own", async () => {
    const events: string[] = [];
    const app = new App({ logger: quietLogger().logger }).serve(
      fakeServer("a", events, { finishAfterMs: 5 }),
      fakeServer("b", events, { finishAfterMs: 20 }),
    );
    await app.run();
    expect(events).toEqual(["a init", "b init", "a start", "b start", "a stopped", "b stopped"]);
  });

  it("is chainable and runs an App with no servers", async () => {
    await expect(new App({ logger: quietLogger().logger }).serve().serve().run()).resolves.toBeUndefined();
  });

  it("runs once, and takes servers only before running", async () => {
    const app = new App({ logger: quietLogger().logger }).serve(fakeServer("a", [], { finishAfterMs: 1 }));
    const running = app.run();
    expect(() => app.serve(fakeServer("late", []))).toThrow("App.serve() must be called before App.run()");
    await expect(app.run()).rejects.toThrow("App.run() can be called only once");
    await running;
  });

  it("logs its lifecycle with comp and key", async () => {
    const { logger, lines } = quietLogger();
    await new App({ logger }).serve(fakeServer("a", [], { finishAfterMs: 1 })).run();
    expect(lines.map((line) => line.msg)).toEqual(["server starting", "app started", "server stopped", "app stopped"]);
  });
});

describe("stopping", () => {
  it("stop() stops every server gracefully and resolves after run() has finished", async () => {
    const events: string[] = [];
    const app = new App({ logger: quietLogger().logger }).serve(fakeServer("a", events), fakeServer("b", events));
    const running = app.run();
    await tick();
    await app.stop();
    events.push("stop() resolved");
    await running;
    expect(events).toEqual([
      "a init",
      "b init",
      "a start",
      "b start",
      "a gracefulStop",
      "b gracefulStop",
      "a stopped",
      "b stopped",
      "stop() resolved",
    ]);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s stops every server gracefully, then removes its listeners", async (signal) => {
    const events: string[] = [];
    const app = new App({ logger: quietLogger().logger }).serve(fakeServer("a", events), fakeServer("b", events));
    const running = app.run();
    await tick();
    expect(process.listenerCount(signal)).toBe(signalListenersBefore[signal] + 1);
    process.emit(signal, signal);
    await running;
    expect(events.filter((event) => /gracefulStop|stopped/.test(event))).toEqual([
      "a gracefulStop",
      "b gracefulStop",
      "a stopped",
      "b stopped",
    ]);
    expect(events).not.toContain("a stop");
  });

  it("listens only to the signals it is given", async () => {
    const app = new App({ logger: quietLogger().logger, signals: ["SIGUSR2"] }).serve(fakeServer("a", []));
    const running = app.run();
    await tick();
    expect(process.listenerCount("SIGTERM")).toBe(signalListenersBefore.SIGTERM);
    process.emit("SIGUSR2", "SIGUSR2");
    await running;
    expect(process.listenerCount("SIGUSR2")).toBe(0);
  });

  it("calls stop() on servers still running when the graceful stop times out", async () => {
    const events: string[] = [];
    const { logger, lines } = quietLogger();
    const app = new App({ logger, stopTimeoutMs: 50 }).serve(
      fakeServer("quick", events),
      fakeServer("stuck", events, { ignoreGracefulStop: true }),
    );
    const running = app.run();
    await tick();
    const started = Date.now();
    await app.stop();
    await running;
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(events).toContain("stuck stop");
    expect(events).not.toContain("quick stop");
    expect(events.slice(-1)).toEqual(["stuck stopped"]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, servers: ["stuck"] }));
  });

  it("stops hard at once on a second signal", async () => {
    const events: string[] = [];
    const app = new App({ logger: quietLogger().logger, stopTimeoutMs: 60_000 }).serve(
      fakeServer("stuck", events, { ignoreGracefulStop: true }),
    );
    const running = app.run();
    await tick();
    process.emit("SIGTERM", "SIGTERM");
    await tick();
    process.emit("SIGINT", "SIGINT");
    await running;
    expect(events).toEqual(["stuck init", "stuck start", "stuck gracefulStop", "stuck stop", "stuck stopped"]);
  });

  it("rejects, naming them, when servers ignore the hard stop too", async () => {
    const app = new App({ logger: quietLogger().logger, stopTimeoutMs: 20 }).serve(
      fakeServer("deaf", [], { ignoreGracefulStop: true, ignoreStop: true }),
      fakeServer("fine", []),
    );
    const running = app.run();
    await tick();
    const stopped = app.stop();
    await expect(running).rejects.toThrow("servers did not stop within 20 ms after stop(): deaf");
    await expect(stopped).resolves.toBeUndefined();
  });

  it("logs a gracefulStop() that fails and still stops the server hard after the timeout", async () => {
    const events: string[] = [];
    const { logger, lines } = quietLogger();
    const app = new App({ logger, stopTimeoutMs: 30 }).serve(fakeServer("a", events, { gracefulStopFails: true }), fakeServer("b", events));
    const running = app.run();
    await tick();
    await app.stop();
    await expect(running).resolves.toBeUndefined();
    expect(events).toContain("a stop");
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, server: "a", msg: "server gracefulStop() failed" }));
  });

  it("stop() does nothing before run() and after it finished", async () => {
    const app = new App({ logger: quietLogger().logger }).serve(fakeServer("a", [], { finishAfterMs: 1 }));
    await expect(app.stop()).resolves.toBeUndefined();
    await app.run();
    await expect(app.stop()).resolves.toBeUndefined();
  });

  it("does not start the servers when asked to stop during init, and stops them instead", async () => {
    const events: string[] = [];
    const app = new App({ logger: quietLogger().logger }).serve(fakeServer("a", events), fakeServer("b", events));
    const running = app.run();
    const stopped = app.stop(); // run() is still initializing
    await running;
    await stopped;
    expect(events).toEqual(["a init", "b init", "a stop", "b stop"]);
  });
});

describe("a failing server", () => {
  it("makes the App stop the others gracefully, and run() rejects with its error", async () => {
    const events: string[] = [];
    const failure = new Error("broker unreachable");
    const app = new App({ logger: quietLogger().logger }).serve(
      fakeServer("a", events),
      fakeServer("bad", events, { failWith: { error: failure, afterMs: 10 } }),
      fakeServer("c", events),
    );
    await expect(app.run()).rejects.toBe(failure);
    expect(events).toContain("a gracefulStop");
    expect(events).toContain("c gracefulStop");
    expect(events).not.toContain("bad gracefulStop");
    expect(events.filter((event) => event.endsWith("stopped"))).toEqual(["a stopped", "c stopped"]);
  });

  it("also when start() throws instead of rejecting", async () => {
    const events: string[] = [];
    const failure = new Error("thrown at once");
    const app = new App({ logger: quietLogger().logger }).serve(
      fakeServer("bad", events, { throwOnStart: failure }),
      fakeServer("ok", events),
    );
    await expect(app.run()).rejects.toBe(failure);
    expect(events).toEqual(["bad init", "ok init", "bad start", "ok start", "ok gracefulStop", "ok stopped"]);
  });

  it("reports the first failure when several fail", async () => {
    const first = new Error("first");
    const app = new App({ logger: quietLogger().logger }).serve(
      fakeServer("one", [], { failWith: { error: first, afterMs: 5 } }),
      fakeServer("two", [], { failWith: { error: new Error("second"), afterMs: 6 }, ignoreGracefulStop: true }),
    );
    await expect(app.run()).rejects.toBe(first);
  });

  it("in init() stops the servers initialized before it, starts none, and rejects", async () => {
    const events: string[] = [];
    const failure = new Error("bad config");
    const app = new App({ logger: quietLogger().logger }).serve(
      fakeServer("a", events),
      fakeServer("b", events, { failInit: failure }),
      fakeServer("c", events),
    );
    await expect(app.run()).rejects.toBe(failure);
    expect(events).toEqual(["a init", "b init", "a stop"]);
  });
});
