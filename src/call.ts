import type { CallContext, ClientKind, Cmd, Interceptor, ProcessFn } from "./interceptors.js";
import { chainInterceptors } from "./interceptors.js";
import type { Message } from "./message.js";

/** Who makes a call: fixed per producer, consumer, consumer group or admin client. */
export interface CallSite {
  /** Config key of the instance, e.g. "kafka.producers.p1". */
  key: string;
  /** Instance name, e.g. "p1" ("client" for the admin client). */
  name: string;
  kind: ClientKind;
  brokers: readonly string[];
  /** The configured topic, or topics joined by ",". */
  topic: string;
}

/**
 * Runs operations of one instance through its interceptor chain. Each call gets its own CallContext
 * (interceptors keep per-call state in it) and its own Cmd.
 */
export class Intercepted {
  private readonly wrap: (fn: ProcessFn) => ProcessFn;

  constructor(
    private readonly site: CallSite,
    interceptors: readonly Interceptor[],
  ) {
    this.wrap = chainInterceptors(interceptors);
  }

  /**
   * Calls `fn` wrapped by every interceptor. `fn` receives the messages after the interceptors had
   * their say (a write's messages may have gained headers) and pushes what it read for reads; its
   * return value is recorded as the call's response.
   */
  async run<T>(
    operation: string,
    messages: Message[],
    request: unknown,
    fn: (messages: Message[], cmd: Cmd, ctx: CallContext) => Promise<T>,
  ): Promise<T> {
    let result: T | undefined;
    const inner: ProcessFn = async (ctx, msgs, cmd) => {
      result = await fn(msgs, cmd, ctx);
      if (cmd.response === undefined) cmd.response = result;
    };
    const ctx: CallContext = { component: "ekafka", ...this.site, values: new Map() };
    await this.wrap(inner)(ctx, messages, { operation, request });
    return result as T;
  }
}
