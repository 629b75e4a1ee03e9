import type { DeliveryReport, LibrdKafkaError } from "@confluentinc/kafka-javascript";
import type { Message } from "./message.js";

/** One writeMessages call waiting for its delivery reports. */
export class PendingWrite {
  private remaining: number;
  readonly failures: Array<{ message: Message; error: LibrdKafkaError }> = [];
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(readonly messages: Message[]) {
    this.remaining = messages.length;
    this.done = new Promise((resolve) => (this.finish = resolve));
    if (this.remaining === 0) this.finish();
  }

  settle(message: Message, error: LibrdKafkaError | null, report: DeliveryReport): void {
    if (error) this.failures.push({ message, error });
    else {
      message.partition = report.partition;
      message.offset = report.offset;
    }
    if (--this.remaining === 0) this.finish();
  }

  /** Marks the messages from `index` on as failed before they were handed to librdkafka. */
  abandon(index: number, error: LibrdKafkaError): void {
    for (const message of this.messages.slice(index)) this.failures.push({ message, error });
    this.remaining -= this.messages.length - index;
    if (this.remaining === 0) this.finish();
  }
}
