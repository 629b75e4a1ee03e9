// How late this process's timers fire while a test measures a latency. On a loaded machine (two cores
// shared by three brokers, the test workers and the static checks) every timing the test takes in this
// process is late by as much, so a latency bound is the behaviour's own bound plus this lateness: the
// bound then fails on a slow reaction of the code, not on a busy machine.

/** A running measurement of timer lateness. */
export interface TimerLateness {
  /** The latest a timer has fired so far, in milliseconds past its due time. */
  maxMs(): number;
  /** Ends the measurement (the value stays readable). */
  stop(): void;
}

/** Starts measuring: a timer every `everyMs`, each firing's delay past its due time kept at its maximum. */
export function measureTimerLateness(everyMs = 20): TimerLateness {
  let max = 0;
  let due = Date.now() + everyMs;
  const timer = setInterval(() => {
    const now = Date.now();
    max = Math.max(max, now - due);
    due = now + everyMs;
  }, everyMs);
  timer.unref();
  return { maxMs: () => max, stop: () => clearInterval(timer) };
}
