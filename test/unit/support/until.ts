/** Resolves once `check` holds, polling the event loop; fails the test after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  // performance.now(): a test that holds Date still (fake timers) still gets its time limit.
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
