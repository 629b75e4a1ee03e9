import { context as otelContexts } from "@opentelemetry/api";
import type { Logger } from "../src/core/index.js";
import type { ServerContext } from "./context.js";
import type { Reporter } from "./error-report.js";
import { ThrownValueError } from "./handler-error.js";

/** A handler that owns the consumption loop (`onStart`, `onConsumerGroupStart`). */
export type LoopHandler<R> = (ctx: ServerContext, resource: R) => unknown;

/** What an {@link OwnedLoopRunner} hands the handler and closes afterwards: a Consumer or a ConsumerGroup. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Runs a handler that consumes by itself (Go ekafka's manual modes). The server stops when the handler
 * returns. A stop aborts `ctx.signal`; a graceful stop then waits for the handler to return, a hard
 * stop does not. Either way the resource (consumer or consumer group) is closed afterwards, which
 * commits what it stored and leaves the group.
 */
export class OwnedLoopRunner<R extends Closable> {
  readonly #controller = new AbortController();
  /** Resolves on a hard stop: run() then stops waiting for the handler. */
  readonly #hardStop: { promise: Promise<void>; resolve: () => void } = (() => {
    let resolve = () => {};
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  })();
  #stopRequested = false;

  constructor(
    private readonly resource: R,
    private readonly handler: LoopHandler<R>,
    private readonly mode: string,
    private readonly logger: Logger,
    private readonly report: Reporter,
  ) {}

  /** Runs the handler, then closes the resource. @throws what the handler failed with */
  async run(): Promise<void> {
    const signal = this.#controller.signal;
    const ctx: ServerContext = { signal, otelContext: otelContexts.active(), logger: this.logger };
    const handled = (async () => this.handler(ctx, this.resource))().then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const outcome = await Promise.race([handled, this.#hardStop.promise.then(() => ({ ok: true as const, abandoned: true }))]);
    if ("abandoned" in outcome) this.logger.warn(`hard stop: not waiting for the ${this.mode} handler to return`);
    await this.#close();
    if (outcome.ok) return;
    // A handler that lets the abort of its own signal escape (readMessage({ signal }) rejecting) was stopped, not failed.
    if (this.#stopRequested && isAbortError(outcome.error, signal)) return;
    throw outcome.error instanceof Error ? outcome.error : new ThrownValueError(outcome.error, `running the ${this.mode} handler`);
  }

  /** Aborts the handler's signal; a hard stop also stops waiting for it. */
  stop(graceful: boolean): void {
    this.#stopRequested = true;
    this.#controller.abort();
    if (!graceful) this.#hardStop.resolve();
  }

  async #close(): Promise<void> {
    try {
      await this.resource.close();
    } catch (error) {
      this.report(error as Error, { phase: "close", retrying: false });
      this.logger.error({ err: error }, `closing after the ${this.mode} handler failed`);
    }
  }
}

function isAbortError(error: unknown, signal: AbortSignal): boolean {
  return error === signal.reason || (error instanceof Error && (error.name === "AbortError" || error.cause === signal.reason));
}
