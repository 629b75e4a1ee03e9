// SASL/SCRAM: only the [kafka] keys change (saslMechanism, saslUserName, saslPassword); producers,
// consumers and the admin client authenticate with them.
import { fileURLToPath } from "node:url";
import { config, configPathFromArgs } from "ekafka/core";
import { load, redactConfig } from "ekafka";

const TOPIC = "ekafka-example-sasl";

config.loadFile(configPathFromArgs() ?? fileURLToPath(new URL("../../../examples/sasl-scram/config.toml", import.meta.url)));
const kafka = load("kafka").build();
const run = Date.now().toString(36);
// redactConfig is what to log: the password is masked.
const { brokers, saslMechanism, saslUserName, saslPassword } = redactConfig(kafka.config);
console.log(`connecting to ${brokers.join(",")} as ${saslUserName} with ${saslMechanism} (password ${saslPassword})`);

try {
  await kafka.client().ping();
  console.log("authenticated: the admin client reached a broker");
  await kafka.client().createTopics([{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], { ignoreExisting: true });
  await kafka.producer("p1").writeMessages({ key: run, value: `hello over SCRAM-SHA-512 (run ${run})` });
  console.log("wrote a message");
  const consumer = kafka.consumer("c1");
  for (;;) {
    const message = await consumer.readMessage({ timeoutMs: 30_000 });
    if (message.keyString() !== run) continue; // an earlier run's message
    console.log(`read it back: "${message.valueString()}"`);
    break;
  }
} finally {
  await kafka.close();
}
console.log("sasl-scram example done");
