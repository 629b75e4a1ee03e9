// The one redaction rule (src/secrets.ts): what it hides in the decoded config, in property tables, in
// /debug/config and in error texts, and that its list of sensitive properties is librdkafka's own.
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { decodeKafkaConfig, type KafkaConfig } from "../../src/config.js";
import { componentDebugConfig } from "../../src/debug-config.js";
import { consumerProperties, producerProperties } from "../../src/librdkafka-properties.js";
import { librdkafkaSensitiveProperties } from "./support/librdkafka-sensitive.js";
import { isSecretProperty, REDACTED, redactConfig, redactProperties, redactText, SENSITIVE_PROPERTIES } from "../../src/secrets.js";

const THIS_FILE = fileURLToPath(import.meta.url);

const decodeToml = (toml: string): KafkaConfig => decodeKafkaConfig((parse(toml) as { kafka: unknown }).kafka, "kafka", () => undefined);

describe("SENSITIVE_PROPERTIES", () => {
  it("is exactly what librdkafka's rdkafka_conf.c marks _RK_SENSITIVE", () => {
    const marked = librdkafkaSensitiveProperties();
    expect(marked.length).toBeGreaterThan(10);
    expect([...SENSITIVE_PROPERTIES].sort()).toEqual([...marked].sort());
  });

  it("makes each of them a secret property, ignoring case", () => {
    for (const name of SENSITIVE_PROPERTIES) {
      expect(isSecretProperty(name), name).toBe(true);
      expect(isSecretProperty(name.toUpperCase()), name).toBe(true);
    }
    expect(isSecretProperty("some.future.password")).toBe(true);
    expect(isSecretProperty("sasl.mechanisms")).toBe(false);
    expect(isSecretProperty("linger.ms")).toBe(false);
  });
});

describe("redactConfig", () => {
  const secretConfig = () =>
    decodeToml(`
[kafka]
saslMechanism = "SCRAM-SHA-512"
saslUserName = "alice"
saslPassword = "hunter2"
[kafka.tls]
enable = true
certFile = "${THIS_FILE}"
keyFile = "${THIS_FILE}"
keyPassword = "keypass"
[kafka.properties]
"sasl.oauthbearer.client.secret" = "oauth-secret"
"sasl.oauthbearer.config" = "principal=p scope=s secret=oauth-config"
"ssl.keystore.password" = "ks-pass"
"linger.ms" = 5
[kafka.producers.p1.properties]
"ssl.key.password" = "other"
"ssl.key.pem" = "pem-text"
[kafka.consumers.c1]
topic = "t"
[kafka.consumers.c1.properties]
"SASL.PASSWORD" = "x"
[kafka.consumerGroups.cg1]
groupID = "g"
topic = "t"
[kafka.consumerGroups.cg1.properties]
"client.secret.thing" = "y"
`);

  it("hides every typed secret and every secret property", () => {
    const redacted = redactConfig(secretConfig());
    const text = JSON.stringify(redacted);
    for (const secret of ["hunter2", "alice", "keypass", "oauth-secret", "oauth-config", "ks-pass", '"other"', "pem-text", '"x"', '"y"']) {
      expect(text).not.toContain(secret);
    }
    expect(redacted.saslPassword).toBe(REDACTED);
    // librdkafka treats the user name and the key's location as sensitive too (sasl.username, ssl.key.location).
    expect(redacted.saslUserName).toBe(REDACTED);
    expect(redacted.tls.keyFile).toBe(REDACTED);
    expect(redacted.tls.keyPassword).toBe(REDACTED);
    expect(redacted.tls.certFile).toBe(THIS_FILE);
    expect(redacted.properties).toEqual({
      "sasl.oauthbearer.client.secret": REDACTED,
      "sasl.oauthbearer.config": REDACTED,
      "ssl.keystore.password": REDACTED,
      "linger.ms": "5",
    });
    expect(redacted.saslMechanism).toBe("SCRAM-SHA-512");
  });

  it("does not change the original, nor share its tables", () => {
    const config = secretConfig();
    const redacted = redactConfig(config);
    expect(config.saslPassword).toBe("hunter2");
    expect(config.producers["p1"]?.properties["ssl.key.password"]).toBe("other");
    expect(redacted.consumers["c1"]!.topics).not.toBe(config.consumers["c1"]!.topics);
    expect(redacted.brokers).not.toBe(config.brokers);
  });

  it("hides the schema registry's password, a secret key that sets no librdkafka property", () => {
    const redacted = redactConfig(
      decodeToml(`[kafka.schemaRegistry]\nurl = "http://registry:8081"\nuserName = "svc"\npassword = "registry-secret"`),
    );
    expect(redacted.schemaRegistry).toEqual({ url: "http://registry:8081", userName: "svc", password: REDACTED, timeout: 5000 });
    expect(JSON.stringify(redacted)).not.toContain("registry-secret");
  });

  it("leaves empty secrets empty and unset ones unset", () => {
    const redacted = redactConfig(decodeKafkaConfig({}, "kafka"));
    expect(redacted.saslPassword).toBe("");
    expect(redacted.tls.keyPassword).toBeUndefined();
  });
});

describe("redactProperties and redactText", () => {
  it("hide the values of the librdkafka properties a client is built with", () => {
    const config = decodeToml(`
[kafka]
saslMechanism = "PLAIN"
saslUserName = "alice"
saslPassword = "hunter2"
[kafka.producers.p1]
topic = "t"
[kafka.producers.p1.properties]
"sasl.oauthbearer.config" = "secret=oauth-config"`);
    const properties = producerProperties(config, config.producers["p1"]!);
    const redacted = redactProperties(properties);
    expect(redacted["sasl.password"]).toBe(REDACTED);
    expect(redacted["sasl.username"]).toBe(REDACTED);
    expect(redacted["sasl.oauthbearer.config"]).toBe(REDACTED);
    expect(redacted["sasl.mechanisms"]).toBe("PLAIN");
    expect(redactText("auth failed for hunter2 (secret=oauth-config) alice", properties)).toBe(
      `auth failed for ${REDACTED} (${REDACTED}) ${REDACTED}`,
    );
  });
});

describe("componentDebugConfig", () => {
  it("shows no secret in the decoded config nor in the librdkafka properties", () => {
    const config = decodeToml(`
[kafka]
brokers = ["k:9092"]
saslMechanism = "PLAIN"
saslUserName = "alice"
saslPassword = "hunter2"
[kafka.properties]
"sasl.oauthbearer.config" = "principal=p secret=oauth-config"
[kafka.producers.p1]
topic = "t"
[kafka.consumerGroups.cg1]
topic = "t"
groupID = "g"
[kafka.consumerGroups.cg1.properties]
"ssl.key.pem" = "pem-text"`);
    const shown = JSON.stringify(
      componentDebugConfig({
        key: "kafka",
        config,
        producerPropertiesOf: (name) => producerProperties(config, config.producers[name]!),
        consumerPropertiesOf: (tree, name) => consumerProperties(config, config[tree][name]!),
      }),
    );
    for (const secret of ["hunter2", "alice", "oauth-config", "pem-text"]) expect(shown).not.toContain(secret);
    expect(shown).toContain('"sasl.mechanisms":"PLAIN"');
  });
});
