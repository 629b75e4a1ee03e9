// Waits until the local cluster serves: all three brokers are registered and a topic with replication
// factor 3 accepts a write acknowledged by all in-sync replicas (acks=all, min.insync.replicas=2).
//
//   node kafka/wait-ready.mjs BOOTSTRAP TIMEOUT_SECONDS
//
// Exits 0 when ready, 1 with the last error seen when the time runs out.
import kafka from "@confluentinc/kafka-javascript";

const [bootstrap = "127.0.0.1:9091", timeoutArg = "90"] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const expectedBrokers = 3;
const probeTopic = "__ekafka_ready";

const common = { "bootstrap.servers": bootstrap, log_level: 0, "socket.timeout.ms": 5000 };

function call(fn) {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

async function brokersRegistered(producer) {
  const metadata = await call((cb) => producer.getMetadata({ allTopics: false, timeout: 5000 }, cb));
  return metadata.brokers.length;
}

async function ensureProbeTopic(admin) {
  try {
    await call((cb) => admin.createTopic({ topic: probeTopic, num_partitions: 3, replication_factor: 3 }, 10000, cb));
  } catch (err) {
    if (err.code !== kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS) throw err;
  }
}

async function writeWithAcksAll(producer) {
  const delivered = new Promise((resolve, reject) => {
    producer.once("delivery-report", (err, report) => (err ? reject(err) : resolve(report)));
  });
  producer.produce(probeTopic, null, Buffer.from(`ready ${new Date().toISOString()}`), null, Date.now());
  return delivered;
}

async function main() {
  const producer = new kafka.Producer({
    ...common,
    dr_cb: true,
    acks: -1,
    "message.timeout.ms": 10000,
    "linger.ms": 0,
  });
  producer.setPollInterval(50);
  await call((cb) => producer.connect({ timeout: 10000 }, cb));
  const admin = kafka.AdminClient.create(common);
  let lastError = "no attempt made";
  try {
    while (Date.now() < deadline) {
      try {
        const registered = await brokersRegistered(producer);
        if (registered < expectedBrokers) {
          lastError = `${registered} of ${expectedBrokers} brokers registered`;
        } else {
          await ensureProbeTopic(admin);
          await writeWithAcksAll(producer);
          return 0;
        }
      } catch (err) {
        lastError = err?.message ?? String(err);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    console.error(`kafka: cluster not ready after ${timeoutArg} s: ${lastError}`);
    return 1;
  } finally {
    admin.disconnect();
    await new Promise((r) => producer.disconnect(5000, r));
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`kafka: readiness check failed: ${err?.message ?? err}`);
    process.exit(1);
  },
);
