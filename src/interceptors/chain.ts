import type { Cmd, Interceptor, ProcessFn } from "./types.js";

/**
 * Composes interceptors so the first given is the outermost (runs first, sees the result last), as
 * Go's ekafka chains them.
 *
 * Every level records how the call below it ended in `cmd.error` (the error, or undefined on success),
 * so an interceptor sees the outcome both through what `next` throws and through `cmd`; an interceptor
 * that retries and then succeeds clears it again. Errors pass through as the same object.
 */
export function chainInterceptors(interceptors: readonly Interceptor[]): (fn: ProcessFn) => ProcessFn {
  const list = [...interceptors];
  return (fn) => {
    let wrapped = recordOutcome(fn);
    for (let i = list.length - 1; i >= 0; i--) {
      wrapped = recordOutcome(list[i]!(wrapped));
    }
    return wrapped;
  };
}

/** Keeps `cmd.error` in step with how `fn` ended; also turns a synchronous throw into a rejection. */
function recordOutcome(fn: ProcessFn): ProcessFn {
  return async (ctx, messages, cmd: Cmd) => {
    try {
      await fn(ctx, messages, cmd);
      cmd.error = undefined;
    } catch (err) {
      cmd.error = err;
      throw err;
    }
  };
}
