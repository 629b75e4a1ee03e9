import { describe, expect, it } from "vitest";
import { consumerGroupStart, eachMessage, handlersOf, registerHandlers, type MessageContext } from "../../../consumerserver/index.js";
import { App, Config, inject, injectable } from "../../../src/core/index.js";
import { load as loadKafka, type Message } from "../../../src/index.js";

const TOML = `
[kafka]
brokers = ["127.0.0.1:9091"]
[kafka.consumerGroups.cg1]
groupID = "g1"
topic = "t1"
[kafkaConsumerServers.s1]
consumerGroupName = "cg1"
[kafkaConsumerServers.s2]
consumerGroupName = "cg1"
`;

const DB = Symbol("db");

@injectable()
class Orders {
  constructor(@inject(DB) readonly db: string[]) {}

  @eachMessage<Orders>("kafkaConsumerServers.s1", { onError: "failed" })
  async handle(_ctx: MessageContext, message: Message): Promise<void> {
    this.db.push(message.valueString());
  }

  failed(): void {}

  @consumerGroupStart("kafkaConsumerServers.s2")
  async manual(): Promise<void> {}
}

class MoreOrders extends Orders {}

describe("decorated handlers", () => {
  it("records each decorated method with its server key and kind, also for subclasses", () => {
    const expected = [
      { key: "kafkaConsumerServers.s1", kind: "onEachMessage", method: "handle", onError: "failed", options: [] },
      { key: "kafkaConsumerServers.s2", kind: "onConsumerGroupStart", method: "manual", options: [] },
    ];
    expect(handlersOf(new Orders([]))).toEqual(expected);
    expect(handlersOf(new MoreOrders([]))).toEqual(expected);
  });

  it("refuses two handlers for one server", () => {
    expect(() => {
      class Twice {
        @eachMessage("kafkaConsumerServers.s1")
        a(): void {}
        @eachMessage("kafkaConsumerServers.S1")
        b(): void {}
      }
      return Twice;
    }).toThrow(/a server has exactly one handler/);
  });

  it("registerHandlers builds the instance with its dependencies and one server per declaration", () => {
    const cfg = new Config().loadString(TOML);
    const db: string[] = [];
    const app = new App().bind(DB, db).bind("kafka", loadKafka("kafka", cfg).build());
    const servers = registerHandlers(app, Orders, { ekafka: "kafka", config: cfg });
    expect(servers.map((s) => s.name)).toEqual(["kafkaConsumerServers.s1", "kafkaConsumerServers.s2"]);
    expect(app.resolve(Orders).db).toBe(db);
    // each server already has its handler
    expect(() => servers[0]!.onEachMessage(() => undefined)).toThrow(/already registered/);
    expect(() => servers[1]!.onEachMessage(() => undefined)).toThrow(/an onConsumerGroupStart handler is already registered/);
  });

  it("registerHandlers rejects a class without handlers", () => {
    const cfg = new Config().loadString(TOML);
    const app = new App();
    expect(() => registerHandlers(app, { nothing: true }, { ekafka: loadKafka("kafka", cfg).build(), config: cfg })).toThrow(
      /declares no handler/,
    );
  });
});
