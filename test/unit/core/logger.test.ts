import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createLogger,
  createRootLogger,
  decode,
  formatLine,
  logger,
  setLogDestination,
  setLogger,
  setLogLevel,
  shouldPrettyPrint,
  type LineSink,
  type Logger,
} from "../../../src/core/index.js";

/** A sink that keeps every line written to it. */
function captureLines(isTTY = false): LineSink & { lines: string[]; isTTY: boolean } {
  const lines: string[] = [];
  return { lines, isTTY, write: (line: string) => lines.push(line) };
}

const parse = (line: string | undefined) => JSON.parse(line ?? "null") as Record<string, unknown>;

let originalRoot: Logger;
beforeEach(() => {
  originalRoot = logger;
});
afterEach(() => {
  setLogger(originalRoot);
});

describe("component loggers", () => {
  it("put comp and key on every line", () => {
    const sink = captureLines();
    setLogDestination(sink);
    const log = createLogger("ekafka", "kafka");
    log.info("first");
    log.warn({ topic: "t" }, "second");
    expect(sink.lines.map(parse)).toEqual([
      expect.objectContaining({ comp: "ekafka", key: "kafka", msg: "first", level: 30 }),
      expect.objectContaining({ comp: "ekafka", key: "kafka", msg: "second", topic: "t", level: 40 }),
    ]);
  });

  it("tell two instances of a component apart by key", () => {
    const sink = captureLines();
    const root = createRootLogger({ destination: sink });
    createLogger("consumerserver", "kafkaConsumerServers.s1", { parent: root }).info("x");
    createLogger("consumerserver", "kafkaConsumerServers.s2", { parent: root }).info("x");
    expect(sink.lines.map((line) => parse(line).key)).toEqual(["kafkaConsumerServers.s1", "kafkaConsumerServers.s2"]);
  });

  it("write one JSON object per line when not pretty", () => {
    const sink = captureLines();
    createLogger("ekafka", "kafka", { parent: createRootLogger({ destination: sink }) }).info("hello");
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]).toMatch(/^\{.*\}\n$/);
    expect(parse(sink.lines[0])).toMatchObject({ msg: "hello", comp: "ekafka", key: "kafka" });
  });

  it("can have a level of their own", () => {
    const sink = captureLines();
    const root = createRootLogger({ destination: sink });
    const quiet = createLogger("ekafka", "kafka", { parent: root, level: "error" });
    quiet.warn("dropped");
    quiet.error("kept");
    expect(sink.lines.map((line) => parse(line).msg)).toEqual(["kept"]);
  });
});

describe("setLogger / setLogLevel / setLogDestination", () => {
  it("setLogger makes loggers created afterwards derive from the new root", () => {
    const sink = captureLines();
    setLogger(createRootLogger({ destination: sink }));
    createLogger("core.app", "app").info("via new root");
    expect(parse(sink.lines[0])).toMatchObject({ comp: "core.app", msg: "via new root" });
  });

  it("setLogLevel reaches the root and component loggers created before", () => {
    const sink = captureLines();
    setLogDestination(sink, { level: "info" });
    const log = createLogger("ekafka", "kafka");
    log.debug("hidden");
    setLogLevel("debug");
    log.debug("shown");
    logger.debug("root shown");
    setLogLevel("silent");
    log.error("silenced");
    expect(sink.lines.map((line) => parse(line).msg)).toEqual(["shown", "root shown"]);
  });

  it("decode() warns about unknown keys through the root logger by default", () => {
    const sink = captureLines();
    setLogDestination(sink);
    decode({ topc: "t" }, { topic: { type: "string" } }, "kafka.producers.p1");
    expect(parse(sink.lines[0])).toMatchObject({ level: 40, msg: "kafka.producers.p1.topc: unknown key; did you mean topic?" });
  });
});

describe("human-readable output", () => {
  it("is chosen only for a terminal outside production", () => {
    expect(shouldPrettyPrint({ isTTY: true }, {})).toBe(true);
    expect(shouldPrettyPrint({ isTTY: true }, { NODE_ENV: "production" })).toBe(false);
    expect(shouldPrettyPrint({ isTTY: false }, {})).toBe(false);
    expect(shouldPrettyPrint({}, {})).toBe(false);
  });

  it("writes time, level, component and key, message and extra fields on one line", () => {
    const sink = captureLines();
    createLogger("ekafka", "kafka", { parent: createRootLogger({ destination: sink, pretty: true }) }).info({ topic: "t", n: 2 }, "sent");
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[ekafka kafka\] sent \{"topic":"t","n":2\}\n$/);
  });

  it("adds colours only when the sink is a terminal", () => {
    const plain = captureLines(false);
    const terminal = captureLines(true);
    createRootLogger({ destination: plain, pretty: true }).warn("w");
    createRootLogger({ destination: terminal, pretty: true }).warn("w");
    expect(plain.lines[0]).not.toContain("\u001b[");
    expect(terminal.lines[0]).toContain("\u001b[33mWARN\u001b[39m");
  });

  it("prints an error's stack below the line", () => {
    const line = formatLine(
      JSON.stringify({ level: 50, time: 0, msg: "failed", err: { type: "Error", message: "boom", stack: "Error: boom\n    at x" } }),
      false,
    );
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: failed\s*\n/);
    expect(line).toMatch(/\n\s+Error: boom\n\s+at x\n/);
  });

  it("keeps a line that is not JSON", () => {
    expect(formatLine("not json\n", false)).toMatch(/^not json\n/);
  });
});
