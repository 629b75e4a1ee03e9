import { injectable } from "ekafka/core";

/** Where the application keeps what it did; a database in real life. Injected into {@link Checkout}. */
@injectable()
export class Ledger {
  readonly paid = new Map<string, number>();

  record(order: string, amount: number): void {
    this.paid.set(order, amount);
  }

  total(): number {
    return [...this.paid.values()].reduce((sum, amount) => sum + amount, 0);
  }
}
