import { context as otelContexts, type Context } from "@opentelemetry/api";
import type { Logger } from "../src/core/index.js";
import { traceContextOf } from "../src/interceptors/trace.js";
import type { Message } from "../src/message.js";

/** What every handler receives: the server's lifetime and where to log. */
export interface ServerContext {
  /**
   * Aborts when the handler should give up: in `onStart` / `onConsumerGroupStart` on any stop (the
   * handler owns the loop and must return), in `onEachMessage` only on a hard `stop()` (a graceful stop
   * lets the message's handler finish). Pass it on to I/O that accepts a signal.
   */
  readonly signal: AbortSignal;
  /** The OpenTelemetry context: the message's trace context for a message, else the active one. */
  readonly otelContext: Context;
  /** The server's logger; for a message, a child bound to its topic, partition and offset. */
  readonly logger: Logger;
}

/** What an `onEachMessage` handler receives with each message. */
export interface MessageContext extends ServerContext {
  /** The message being handled (also the handler's second argument). */
  readonly message: Message;
  /** 1 on the first call for this message, 2 on the first retry, … */
  readonly attempt: number;
}

/**
 * One message on its way through the handling pipeline (retry, dead letter, the handler): the state
 * the middlewares share, e.g. how many times the handler has been called for it.
 */
export class Delivery {
  /** Handler calls so far (the retry middleware counts them). */
  attempts = 0;
  /**
   * The trace context of the handling: first the one the message carries in its headers (W3C
   * `traceparent`); a middleware may put a span of its own in it (the `process` span does).
   */
  otelContext: Context;
  readonly #parentLogger: Logger;
  #logger: Logger | undefined;

  constructor(
    readonly message: Message,
    /** Aborts on a hard stop: every step gives up, and the message is left uncommitted. */
    readonly signal: AbortSignal,
    logger: Logger,
  ) {
    this.#parentLogger = logger;
    this.otelContext = traceContextOf(message, otelContexts.active());
  }

  /** The server's logger bound to the message's topic, partition and offset (made on first use). */
  get logger(): Logger {
    this.#logger ??= this.#parentLogger.child({ topic: this.message.topic, partition: this.message.partition, offset: this.message.offset });
    return this.#logger;
  }

  /** The context for the handler's current call. */
  handlerContext(): MessageContext {
    const delivery = this;
    return {
      signal: this.signal,
      otelContext: this.otelContext,
      message: this.message,
      attempt: this.attempts,
      get logger() {
        return delivery.logger;
      },
    };
  }
}
