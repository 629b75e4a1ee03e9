/**
 * How many messages a consumer session fetches from librdkafka at once, and when it fetches ahead.
 *
 * librdkafka counts the application as alive (`max.poll.interval.ms`, our `rebalanceTimeout`) only while
 * it calls into the native consumer; the session calls it only to fetch. A fixed fetch of 500 messages
 * lasts a fast handler a millisecond, but a handler at 40 ms a message 20 s without a native call: the
 * member is dropped from its group although it polls all the time ("Unknown member" for a transaction's
 * offsets, a rebalance and duplicates otherwise). So the fetch follows the application's pace: about
 * `aheadMs` of what it takes (at most `max`, at least one message; `max` until the pace is measured
 * between two fetches), fetched again once half is taken; and a poll made when no fetch started for
 * `keepAliveMs` fetches one message anyway.
 */
export class FetchPace {
  /** Messages per millisecond the application took, smoothed; undefined before the first measurement. */
  #rate: number | undefined;
  #takenSinceFetch = 0;
  /** Messages counted by {@link handedOver} that the take receiving them must not count again. */
  #handedOver = 0;
  /** When the last measured fetch started; undefined before the first fetch (connecting is not the application's pace). */
  #lastFetchAt: number | undefined;

  constructor(
    private readonly max: number,
    private readonly aheadMs: number,
    private readonly keepAliveMs: number,
  ) {}

  /** The application took `count` messages (less any {@link handedOver} already counted). */
  taken(count: number): void {
    const counted = Math.min(count, this.#handedOver);
    this.#handedOver = 0;
    this.#takenSinceFetch += count - counted;
  }

  /**
   * `count` fetched messages go to a take already waiting for them: counted as taken now, before a fetch
   * that starts ahead of that take measures the pace; the take's own {@link taken} then skips them.
   */
  handedOver(count: number): void {
    this.#takenSinceFetch += count;
    this.#handedOver = count;
  }

  /** How many messages the next fetch asks for. */
  get size(): number {
    if (this.#rate === undefined) return this.max;
    return Math.max(1, Math.min(this.max, Math.ceil(this.#rate * this.aheadMs)));
  }

  /** Whether a poll that finds `queued` messages waiting should start a fetch. */
  shouldFetch(queued: number, now = Date.now()): boolean {
    if (queued < this.size / 2) return true;
    // A slow handler behind a full queue still calls into librdkafka now and then, one message at a time.
    return now - (this.#lastFetchAt ?? now) >= this.keepAliveMs && queued < 2 * this.max;
  }

  /** A fetch starts: measures the pace since the last one; returns how many messages to ask for. */
  fetchStarts(queued: number, now = Date.now()): number {
    const keepAlive = queued >= this.size / 2;
    if (this.#lastFetchAt === undefined) {
      this.#lastFetchAt = now;
      this.#takenSinceFetch = 0;
      return this.size;
    }
    const elapsed = now - this.#lastFetchAt;
    if (elapsed >= 1) {
      const rate = this.#takenSinceFetch / elapsed;
      // Halfway to the newest measurement: a handler that slows down shrinks the next fetches at once.
      this.#rate = this.#rate === undefined ? rate : (this.#rate + rate) / 2;
      this.#takenSinceFetch = 0;
      this.#lastFetchAt = now;
    }
    return keepAlive ? 1 : this.size;
  }
}
