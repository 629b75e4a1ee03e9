import { describe, expect, it } from "vitest";
import { App, bindFactory, bindValue, Container, createContainer, inject, injectable, resolve } from "../../../src/core/index.js";

/** Stands in for an ekafka Component built from config. */
class FakeKafka {
  constructor(readonly key: string) {}
  producer(name: string): string {
    return `${this.key}/${name}`;
  }
}

const KAFKA = "kafka"; // the token: the component's config key
const AUDIT_KAFKA = Symbol("auditKafka");

@injectable()
class OrderService {
  constructor(
    @inject(KAFKA) readonly kafka: FakeKafka,
    @inject(AUDIT_KAFKA) readonly audit: FakeKafka,
  ) {}

  describe(): string {
    return `${this.kafka.producer("orders")} + ${this.audit.producer("audit")}`;
  }
}

@injectable()
class Checkout {
  constructor(@inject(OrderService) readonly orders: OrderService) {}
}

describe("dependency injection", () => {
  it("gives an @injectable() class the components bound by token", () => {
    const app = new App().bind(KAFKA, new FakeKafka("kafka")).bind(AUDIT_KAFKA, new FakeKafka("audit"));
    const service = app.resolve(OrderService);
    expect(service).toBeInstanceOf(OrderService);
    expect(service.describe()).toBe("kafka/orders + audit/audit");
  });

  it("builds an unbound injectable class once and reuses it, also as a dependency", () => {
    const app = new App().bind(KAFKA, new FakeKafka("kafka")).bind(AUDIT_KAFKA, new FakeKafka("audit"));
    const checkout = app.resolve(Checkout);
    expect(checkout.orders).toBe(app.resolve(OrderService));
    expect(app.resolve(Checkout)).toBe(checkout);
  });

  it("returns the bound value itself, and rebinding replaces it", () => {
    const container = createContainer();
    const first = new FakeKafka("first");
    bindValue(container, KAFKA, first);
    expect(resolve<FakeKafka>(container, KAFKA)).toBe(first);
    const second = new FakeKafka("second");
    bindValue(container, KAFKA, second);
    expect(resolve<FakeKafka>(container, KAFKA)).toBe(second);
  });

  it("wires without decorators through a factory and its dependency tokens", () => {
    const container = createContainer();
    bindValue(container, KAFKA, new FakeKafka("kafka"));
    let built = 0;
    bindFactory(container, "greeting", (kafka: FakeKafka) => `${++built}:${kafka.producer("p1")}`, [KAFKA]);
    expect(resolve<string>(container, "greeting")).toBe("1:kafka/p1");
    expect(resolve<string>(container, "greeting")).toBe("1:kafka/p1");
  });

  it("fails clearly for a token nothing is bound to", () => {
    expect(() => new App().resolve("nothing")).toThrow(/nothing/);
  });

  it("each App owns its own container, or the one it is given", () => {
    const given = new Container();
    expect(new App({ container: given }).container).toBe(given);
    expect(new App().container).not.toBe(new App().container);
  });
});
