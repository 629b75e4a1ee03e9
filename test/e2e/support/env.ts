// What the e2e tests share: the cluster named in test/e2e/config/e2e.toml, unique names, and control of
// the local cluster's brokers for fault tests.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "smol-toml";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const e2eConfigPath = `${repoRoot}test/e2e/config/e2e.toml`;

interface E2eFile {
  kafka: { brokers: string[] };
  e2e?: {
    sasl?: {
      brokers: string[];
      plainUser: string;
      plainPassword: string;
      scram256User: string;
      scram256Password: string;
      scram512User: string;
      scram512Password: string;
    };
  };
}

/** The parsed e2e.toml (created by the global setup from example.toml). */
export const e2eFile = parse(readFileSync(e2eConfigPath, "utf8")) as unknown as E2eFile;
export const brokers = e2eFile.kafka.brokers;
export const bootstrap = brokers.join(",");
export const sasl = e2eFile.e2e?.sasl;

/** True when the tests run against the local cluster of kafka/cluster.sh (brokers can be stopped). */
export const localCluster = process.env.EKAFKA_E2E_LOCAL_CLUSTER !== "0";

/** A name no other test run uses: topics and groups are never shared between tests. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

const run = promisify(execFile);
const clusterScript = `${repoRoot}kafka/cluster.sh`;

/** Runs kafka/cluster.sh with the given arguments and returns its stdout. */
export async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run(clusterScript, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Where kafka/cluster.sh keeps the local cluster's jars and TLS material: KAFKA_HOME_DIR, as for the script. */
const kafkaHome = (process.env.KAFKA_HOME_DIR ?? `${repoRoot}.kafka`).replace(/\/$/, "");

/**
 * Where it keeps this cluster's data, pid files and logs: KAFKA_STATE_DIR, as for the script (make test
 * runs the fault tests on a second local cluster with its own, test/all.sh).
 */
const kafkaState = (process.env.KAFKA_STATE_DIR ?? kafkaHome).replace(/\/$/, "");

/** The directory holding broker `id`'s data (local cluster only). */
export function brokerDataDir(id: number): string {
  return `${kafkaState}/data/broker-${id}`;
}

/** The TLS material kafka/cluster.sh made for the local cluster (see the comment at its top). */
export const tlsFiles = {
  ca: `${kafkaHome}/tls/ca.pem`,
  otherCa: `${kafkaHome}/tls/other-ca.pem`,
  clientCert: `${kafkaHome}/tls/client.pem`,
  clientKey: `${kafkaHome}/tls/client.key`,
  clientEncryptedKey: `${kafkaHome}/tls/client-encrypted.key`,
  clientKeyPassword: "client-key-secret",
};

/** The local cluster's listeners by port range: SSL (client certificate required), SASL_SSL, PROXIED. */
export const localListeners = {
  ssl: ["127.0.0.1:9391", "127.0.0.1:9392", "127.0.0.1:9393"],
  saslSsl: ["127.0.0.1:9491", "127.0.0.1:9492", "127.0.0.1:9493"],
};
