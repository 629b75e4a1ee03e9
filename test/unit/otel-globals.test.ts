import { context, ROOT_CONTEXT, createContextKey, trace, type ContextManager } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { activeContext, otelApiInUse, runInContext, tracerProviderRegistered } from "../../src/interceptors.js";

const KEY = createContextKey("test");

/** A context manager that only records what it was asked to run. */
class RecordingContextManager implements ContextManager {
  active = () => ROOT_CONTEXT.setValue(KEY, "active");
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Parameters<ContextManager["with"]>[0],
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ) {
    this.ran.push(ctx.getValue(KEY));
    return fn.call(thisArg, ...args);
  }
  bind<T>(_ctx: unknown, target: T): T {
    return target;
  }
  enable = () => this;
  disable = () => this;
  ran: unknown[] = [];
}

/** otelApiInUse keeps its answer until the running code yields. */
const nextRun = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Asserts `seen` is false, registers, and asserts it is true from the next run on. */
async function registeredBetweenRuns(seen: () => boolean, register: () => void): Promise<void> {
  await nextRun();
  expect(seen()).toBe(false);
  register();
  await nextRun();
  expect(seen()).toBe(true);
}

afterEach(() => {
  context.disable();
  trace.disable();
});

describe("OpenTelemetry globals", () => {
  it("while nothing is registered: the root context, plain calls, no tracer provider", async () => {
    await nextRun();
    expect(otelApiInUse()).toBe(false);
    expect(activeContext()).toBe(ROOT_CONTEXT);
    expect(runInContext(ROOT_CONTEXT.setValue(KEY, "x"), (a: number, b: number) => a + b, undefined, 2, 3)).toBe(5);
    expect(tracerProviderRegistered()).toBe(false);
  });

  it("sees a context manager registered later, from the next run on, and goes through it", async () => {
    const manager = new RecordingContextManager();
    await registeredBetweenRuns(otelApiInUse, () => context.setGlobalContextManager(manager));
    expect(activeContext().getValue(KEY)).toBe("active");
    expect(runInContext(ROOT_CONTEXT.setValue(KEY, "mine"), () => "called", undefined)).toBe("called");
    expect(manager.ran).toEqual(["mine"]);
  });

  it("sees a tracer provider registered later", async () => {
    const provider = new BasicTracerProvider();
    await registeredBetweenRuns(tracerProviderRegistered, () => trace.setGlobalTracerProvider(provider));
    await provider.shutdown();
  });
});
