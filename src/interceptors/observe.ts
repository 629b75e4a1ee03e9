/** Which interceptors have already warned that observing a call failed (one warning each is enough). */
const warned = new Set<string>();

/**
 * Runs a side effect of an interceptor (a log line, a metric) so that its failure cannot change the
 * call's outcome: a write that reached the broker must not be reported failed (the caller would retry
 * and duplicate it) because a log stream broke, and a failed call must keep its own error. The failure
 * is reported once per interceptor as a process warning.
 */
export function observe(interceptor: string, effect: () => void): void {
  try {
    effect();
  } catch (err) {
    if (warned.has(interceptor)) return;
    warned.add(interceptor);
    process.emitWarning(`ekafka ${interceptor} interceptor failed to record a call: ${String(err)}`, {
      code: "EKAFKA_INTERCEPTOR",
    });
  }
}
