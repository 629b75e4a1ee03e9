// Message values like Kafka's ProducerPerformance writes: random upper-case letters, different in every
// record. Compression ratios (and so compressed throughput) depend on the data, so all contenders and
// the ceiling must write the same kind of bytes.

/** Distinct values cycled through; more than one batch holds, so no batch repeats a value. */
const POOL_BYTES = 2 * 1_048_576;

/** A pool of random A-Z values of `size` bytes; `valueAt(i)` cycles through it. */
export class Payloads {
  readonly #pool: Buffer[];

  constructor(readonly size: number) {
    const count = Math.max(1, Math.ceil(POOL_BYTES / size));
    this.#pool = Array.from({ length: count }, () => randomLetters(size));
  }

  valueAt(index: number): Buffer {
    return this.#pool[index % this.#pool.length]!;
  }
}

function randomLetters(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = 65 + Math.floor(Math.random() * 26);
  return bytes;
}
