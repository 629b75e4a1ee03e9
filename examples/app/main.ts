// An App that serves two Consumer Servers (orders → payments) whose handlers are methods of one
// @injectable class. registerHandlers builds a server per decorated method and the App's inversify
// container builds the class, injecting the ekafka component and a Ledger.
import { fileURLToPath } from "node:url";
import { App, config, configPathFromArgs } from "ekafka/core";
import { load } from "ekafka";
import { registerHandlers } from "ekafka/consumerserver";
import { Checkout, KAFKA } from "./checkout.js";
import { Ledger } from "./ledger.js";

const ORDERS = "ekafka-example-app-orders";
const PAYMENTS = "ekafka-example-app-payments";
const COUNT = 4;

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/app/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);
const app = new App().bind(KAFKA, kafka);

const servers = registerHandlers(app, Checkout, { ekafka: KAFKA });
console.log(`serving ${servers.map((server) => server.name).join(" and ")}`);

// Stop once this run's payments are booked (the App would otherwise run until SIGTERM).
let booked = 0;
app.resolve(Checkout).onBooked = (orderRun) => {
  if (orderRun === run && ++booked === COUNT) void app.stop(); // not awaited: stop waits for this handler
};

try {
  const topics = [ORDERS, PAYMENTS].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 3 }));
  await kafka.client().createTopics(topics, { ignoreExisting: true });
  const orders = Array.from({ length: COUNT }, (_, i) => ({ run, id: `${run}-order-${i + 1}`, amount: 10 * (i + 1) }));
  await kafka.producer("orders").writeMessages(...orders.map((order) => ({ key: order.id, value: JSON.stringify(order) })));
  console.log(`wrote ${COUNT} orders`);
  await app.run();
} finally {
  await kafka.close();
}
const ledger = app.resolve(Ledger);
console.log(`app example done: ${booked} payments booked, ledger total ${ledger.total()}`);
