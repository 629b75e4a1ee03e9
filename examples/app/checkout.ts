import { inject, injectable } from "ekafka/core";
import type { Component, Message } from "ekafka";
import { eachMessage, type ErrorDetails, type MessageContext } from "ekafka/consumerserver";
import { Ledger } from "./ledger.js";

/** The token the ekafka component is bound to in the App's container (the config key reads well). */
export const KAFKA = "kafka";

/** What an order message carries. */
interface Order {
  run: string;
  id: string;
  amount: number;
}

/**
 * The application: two Consumer Servers' handlers in one class. An order is charged by writing a
 * payment message; a payment is booked in the ledger. The App's container builds it, injecting the
 * ekafka component and the ledger.
 */
@injectable()
export class Checkout {
  /** Called with each booked payment of this run. */
  onBooked: (order: string) => void = () => undefined;

  constructor(
    @inject(KAFKA) private readonly kafka: Component,
    @inject(Ledger) private readonly ledger: Ledger,
  ) {}

  @eachMessage<Checkout>("kafkaConsumerServers.orders", { onError: "failed" })
  async charge(ctx: MessageContext, message: Message): Promise<void> {
    const order = JSON.parse(message.valueString()) as Order;
    console.log(`orders: charging ${order.id} ${order.amount}`);
    // The same trace context travels on: the payment's headers carry the order's traceparent.
    await this.kafka.producer("payments").writeMessages({ key: order.id, value: JSON.stringify(order) });
  }

  @eachMessage<Checkout>("kafkaConsumerServers.payments", { onError: "failed" })
  book(ctx: MessageContext, message: Message): void {
    const order = JSON.parse(message.valueString()) as Order;
    this.ledger.record(order.id, order.amount);
    console.log(`payments: booked ${order.id} ${order.amount} (ledger total ${this.ledger.total()})`);
    this.onBooked(order.run);
  }

  failed(error: Error, details: ErrorDetails): void {
    console.log(`checkout: ${details.phase} failed: ${error.message}`);
  }
}
