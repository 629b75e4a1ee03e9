// Runs a real App in a child process, to see real signals and real exit codes.
//
// The child (test/unit/fixtures/core/child-app.ts) is compiled, with the src/core files it imports, by
// test/support/compile-fixture.ts: Node 20 cannot run TypeScript.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFixtures, removeCompiled } from "../../support/compile-fixture.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const childSource = "test/unit/fixtures/core/child-app.ts";
let outDir: string;

// The compile runs at nice 19 in make test, beside the e2e tests, and took more than a minute there.
beforeAll(async () => {
  outDir = await compileFixtures("core-child", childSource);
}, 180_000);

afterAll(() => removeCompiled(outDir));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The servers' plain lines, in order. */
  lines: string[];
  /** The JSON log lines, parsed. */
  logs: Record<string, unknown>[];
  stderr: string;
}

/**
 * Runs the compiled child; when `signalWhen` returns true for the plain lines so far, sends `signal`.
 */
function runChild(mode: "graceful" | "fail", signal?: NodeJS.Signals, signalWhen?: (lines: string[]) => boolean): Promise<ChildResult> {
  const child = spawn(process.execPath, [join(outDir, "test/unit/fixtures/core/child-app.js"), mode], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: "development" }, // not production: the format must follow the TTY alone
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  let buffered = "";
  let signalled = false;
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split("\n");
    buffered = complete.pop() ?? "";
    for (const line of complete) {
      if (line.startsWith("{")) logs.push(JSON.parse(line) as Record<string, unknown>);
      else lines.push(line);
    }
    if (signal && !signalled && signalWhen?.(lines)) {
      signalled = true;
      child.kill(signal);
    }
  });
  return new Promise((resolve, reject) => {
    const watchdog = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child did not exit; lines so far: ${JSON.stringify(lines)}; stderr: ${stderr}`));
    }, 20_000);
    child.on("error", reject);
    child.on("close", (code, exitSignal) => {
      clearTimeout(watchdog);
      resolve({ code, signal: exitSignal, lines, logs, stderr });
    });
  });
}

const bothStarted = (lines: string[]) => lines.includes("alpha started") && lines.includes("beta started");

describe("an App in its own process", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "stops both servers gracefully on %s and exits with code 0",
    async (signal) => {
      const result = await runChild("graceful", signal, bothStarted);
      expect(result.stderr).toBe("");
      expect(result).toMatchObject({ code: 0, signal: null });
      expect(result.lines.slice(0, 2)).toEqual(["alpha init", "beta init"]);
      expect(result.lines).toContain("alpha stopped gracefully");
      expect(result.lines).toContain("beta stopped gracefully");
      expect(result.lines).not.toContain("alpha stopped hard");
      expect(result.lines.at(-1)).toBe("app finished");
      expect(result.logs).toContainEqual(expect.objectContaining({ comp: "core.app", key: "app", signal, msg: "signal received" }));
    },
    30_000,
  );

  it("exits non-zero when a server fails, after stopping the other one gracefully", async () => {
    const result = await runChild("fail");
    expect(result.code).toBe(1);
    expect(result.lines).toContain("alpha stopped gracefully");
    expect(result.lines).not.toContain("beta stopped gracefully");
    expect(result.lines.at(-1)).toBe("app failed: beta broke");
    expect(result.logs).toContainEqual(expect.objectContaining({ level: 50, server: "beta", msg: "server failed" }));
  }, 30_000);

  it("writes JSON log lines carrying comp and key when stdout is not a terminal", async () => {
    const result = await runChild("graceful", "SIGTERM", bothStarted);
    expect(result.logs.length).toBeGreaterThan(0);
    expect(result.logs).toContainEqual(
      expect.objectContaining({ comp: "child", key: "servers.alpha", msg: "finishing in-flight work", level: 30 }),
    );
    for (const entry of result.logs) expect(entry).toEqual(expect.objectContaining({ comp: expect.any(String), key: expect.any(String) }));
  }, 30_000);
});
