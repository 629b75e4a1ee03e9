import type { Context } from "@opentelemetry/api";
import { activeContext, traceContextOf, type Message, type Producer } from "../src/index.js";
import type { Logger } from "../src/core/index.js";
import type { Batch, Delivery, Outcome } from "./delivery.js";

/** What every handler receives: the server's lifetime and where to log. */
export interface ServerContext {
  /**
   * Aborts when the handler should give up: in `onStart` / `onConsumerGroupStart` on any stop (the
   * handler owns the loop and must return), in `onEachMessage` / `onEachBatch` only on a hard `stop()`
   * (a graceful stop lets the handler finish). Pass it on to I/O that accepts a signal.
   */
  readonly signal: AbortSignal;
  /** The OpenTelemetry context: the message's trace context for a message, else the active one. */
  readonly otelContext: Context;
  /** The server's logger; for a message, a child bound to its topic, partition and offset. */
  readonly logger: Logger;
}

/** What an `onEachMessage` handler receives with each message. */
export interface MessageContext extends ServerContext {
  /**
   * With `transactionalProducer`: that producer, whose writes join the transaction the message is
   * handled in (committed with the message's offset, aborted when the handler throws). Undefined otherwise.
   */
  readonly producer: Producer | undefined;
  /** The message being handled (also the handler's second argument). */
  readonly message: Message;
  /** 1 on the first call for this message, 2 on the first retry, … */
  readonly attempt: number;
}

/** What an `onEachBatch` handler receives with each batch. */
export interface BatchContext extends ServerContext {
  /** Undefined: `transactionalProducer` takes onEachMessage only. */
  readonly producer: Producer | undefined;
  /** The batch being handled (also the handler's second argument). */
  readonly batch: Batch;
  /** 1 on the first call for this batch, 2 on the first retry (with the messages not resolved yet), … */
  readonly attempt: number;
}

/** The state every delivery keeps, whatever it carries. */
abstract class BaseDelivery implements Delivery {
  attempts = 0;
  error: Error | undefined;
  outcome: Outcome | undefined;
  retries = 0;
  /** With `transactionalProducer`: the producer of the transaction the delivery is handled in (set by that step). */
  producer: Producer | undefined = undefined;
  /**
   * The trace context of the handling: first the one the first message carries in its headers (W3C
   * `traceparent`); a middleware may put a span of its own in it (the `process` span does).
   */
  otelContext: Context;
  readonly #parentLogger: Logger;
  #logger: Logger | undefined;

  constructor(
    first: Message,
    /** Aborts on a hard stop: every step gives up, and the messages are left uncommitted. */
    readonly signal: AbortSignal,
    logger: Logger,
  ) {
    this.#parentLogger = logger;
    this.otelContext = traceContextOf(first, activeContext());
  }

  abstract readonly message: Message;
  abstract readonly messages: readonly Message[];
  abstract readonly batch: Batch | undefined;

  /** The server's logger bound to the first message's topic, partition and offset (made on first use). */
  get logger(): Logger {
    const first = this.message;
    this.#logger ??= this.#parentLogger.child({ topic: first.topic, partition: first.partition, offset: first.offset });
    return this.#logger;
  }
}

/** One message of `onEachMessage` on its way through the pipeline. */
export class MessageDelivery extends BaseDelivery {
  readonly messages: readonly Message[];
  readonly batch = undefined;

  /** @param messages `[message]`, when the caller has that array already */
  constructor(
    readonly message: Message,
    signal: AbortSignal,
    logger: Logger,
    messages: readonly Message[] = [message],
  ) {
    super(message, signal, logger);
    this.messages = messages;
  }

  /** The context for the handler's current call. */
  handlerContext(): MessageContext {
    return new MessageCallContext(this);
  }
}

/**
 * One batch of `onEachBatch` on its way through the pipeline. Resolving a message stores its offset at
 * once through `store` (so a resolved message is committed even when the handler fails later).
 */
export class BatchDelivery extends BaseDelivery {
  readonly batch: Batch;
  readonly #all: readonly Message[];
  /** Index in #all of the first message not resolved. */
  #next = 0;
  /** The messages handed to the current handler call. */
  #call: readonly Message[];

  constructor(
    all: readonly Message[],
    signal: AbortSignal,
    logger: Logger,
    private readonly store: (message: Message) => void,
  ) {
    super(all[0]!, signal, logger);
    this.#all = all;
    this.#call = all;
    this.batch = new DeliveryBatch(all[0]!.topic, all[0]!.partition, all.at(-1)!.highWaterMark, this);
  }

  /** The messages handed to the current handler call (its batch's `messages`). */
  get currentCall(): readonly Message[] {
    return this.#call;
  }

  /** Whether `message` was resolved (by its batch's `resolve`, or by a message after it). */
  isResolved(message: Message): boolean {
    const index = this.#all.indexOf(message);
    return index >= 0 && index < this.#next;
  }

  /** The first message not resolved (the last message once all are). */
  get message(): Message {
    return this.#all[Math.min(this.#next, this.#all.length - 1)]!;
  }

  /** Every message not resolved yet. */
  get messages(): readonly Message[] {
    return this.#next === 0 ? this.#all : this.#all.slice(this.#next);
  }

  /** Starts a handler call over the messages not resolved yet and returns its context. */
  handlerContext(): BatchContext {
    this.#call = this.messages;
    return new BatchCallContext(this);
  }

  /** Marks `message` and every message before it as handled, storing its offset now. */
  resolve(message: Message): void {
    const index = this.#all.indexOf(message);
    if (index < 0)
      throw new RangeError(
        `batch.resolve: the message at offset ${message.offset} is not one of this batch of ${this.batch.topic} [${this.batch.partition}]`,
      );
    if (index < this.#next) return;
    // A handler running on after a hard stop must not move the committed position.
    if (this.signal.aborted) return;
    this.#next = index + 1;
    this.store(message);
  }
}

/**
 * The context of one handler call. A class rather than an object literal with a getter: it is made for
 * every message, and a literal's accessor costs a closure and a dictionary-mode object each time.
 */
class CallContext {
  readonly signal: AbortSignal;
  readonly otelContext: Context;
  readonly attempt: number;
  readonly producer: Producer | undefined;
  readonly #delivery: BaseDelivery;

  constructor(delivery: BaseDelivery) {
    this.#delivery = delivery;
    this.signal = delivery.signal;
    this.otelContext = delivery.otelContext;
    this.attempt = delivery.attempts;
    this.producer = delivery.producer;
  }

  /** The delivery's logger (bound to topic, partition and offset), made on first use. */
  get logger(): Logger {
    return this.#delivery.logger;
  }
}

class MessageCallContext extends CallContext implements MessageContext {
  readonly message: Message;

  constructor(delivery: MessageDelivery) {
    super(delivery);
    this.message = delivery.message;
  }
}

class BatchCallContext extends CallContext implements BatchContext {
  readonly batch: Batch;

  constructor(delivery: BatchDelivery) {
    super(delivery);
    this.batch = delivery.batch;
  }
}

/**
 * The {@link Batch} of a {@link BatchDelivery}. A class rather than an object literal with a getter: one
 * is made per batch, and with the literal a server handing out batches of one message made 18 full
 * (mark-compact) collections over 400,000 messages against 1 with the class.
 */
class DeliveryBatch implements Batch {
  readonly #delivery: BatchDelivery;
  // Own functions, not methods: a handler may pass them around detached (`messages.forEach(batch.resolve)`).
  // Bound, not arrow functions: with an arrow function made here per batch, every batch's messages
  // survived the next scavenge and were promoted (73 MB promoted per 200,000 messages against 4.6 MB,
  // 5x the scavenge time; V8 on Node 20, see bench/analysis.md); bound functions carry no context.
  readonly resolve: (message: Message) => void;
  readonly isResolved: (message: Message) => boolean;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly highWaterMark: number,
    delivery: BatchDelivery,
  ) {
    this.#delivery = delivery;
    this.resolve = delivery.resolve.bind(delivery);
    this.isResolved = delivery.isResolved.bind(delivery);
  }

  get messages(): readonly Message[] {
    return this.#delivery.currentCall;
  }
}
