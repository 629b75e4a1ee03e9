/** A part of a running server: runs until stopped or failed. */
export interface Runnable {
  run(): Promise<void>;
  stop(graceful: boolean): void;
}

/**
 * Runs several parts of one server as one: a stop reaches all of them, and when one fails the others
 * are stopped gracefully and `run()` rejects with that first failure once all have ended.
 */
export class RunTogether implements Runnable {
  readonly #parts: readonly Runnable[];

  constructor(...parts: Runnable[]) {
    this.#parts = parts;
  }

  async run(): Promise<void> {
    let first: { error: unknown } | undefined;
    await Promise.all(
      this.#parts.map((part) =>
        part.run().catch((error: unknown) => {
          if (first === undefined) {
            first = { error };
            for (const other of this.#parts) if (other !== part) other.stop(true);
          }
        }),
      ),
    );
    if (first !== undefined) throw first.error;
  }

  stop(graceful: boolean): void {
    for (const part of this.#parts) part.stop(graceful);
  }
}
