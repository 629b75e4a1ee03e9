/**
 * How many messages one-at-a-time handling takes per poll. The engine polls again only once a round is
 * handled, and only a poll sees a revocation or lets librdkafka know the member is alive
 * (`max.poll.interval.ms`): a round of 500 messages at 20 ms each is 10 s without a poll. So the round
 * follows the handler's pace, aiming at `targetMs` per round: up to `max` for a fast handler, down to one
 * message for one that takes longer than `targetMs`. The first round is one message, when the pace is
 * not known yet.
 */
export class RoundSize {
  /** Milliseconds per message, smoothed over the rounds; undefined before the first round. */
  #pace: number | undefined;

  constructor(
    private readonly max: number,
    private readonly targetMs: number,
  ) {}

  /** The most messages the next round takes. */
  get next(): number {
    if (this.#pace === undefined) return 1;
    if (this.#pace <= 0) return this.max;
    return Math.max(1, Math.min(this.max, Math.floor(this.targetMs / this.#pace)));
  }

  /** A round of `messages` took `ms` to handle. */
  record(messages: number, ms: number): void {
    if (messages === 0) return;
    const pace = ms / messages;
    // Halfway to the newest round: a handler that slows down shrinks the next round at once.
    this.#pace = this.#pace === undefined ? pace : (this.#pace + pace) / 2;
  }
}
