// Secrets never reach the output: a SASL (SCRAM-SHA-512) producer, consumer group and Consumer Server run
// in a child process with every switch that prints on — `debug = true`, access logging with request and
// response, metrics and trace interceptors, the server's debug lines, the root logger at "trace" — once
// with the right password and once with a wrong one. All of the child's stdout and stderr is captured:
// it must hold the debug lines (and, for the wrong password, the authentication failures), and neither
// password may appear anywhere in it. redactConfig is checked on the same configuration.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED, redactConfig } from "ekafka";
import { settableSensitiveProperties } from "../unit/support/librdkafka-sensitive.js";
import { buildComponent, FAST_GROUP } from "./support/component.js";
import { brokers, localCluster, localListeners, sasl, tlsFiles, uniqueName } from "./support/env.js";
import { compileFixtures, removeCompiled, startChild } from "./support/child.js";

const CHILD = "test/e2e/fixtures/reliability/secrets-child.ts";
const WRONG_PASSWORD = "Wr0ng-scram512-Pa55word-7f3e";
let outDir: string | undefined;

beforeAll(async () => {
  outDir = await compileFixtures(CHILD);
}, 120_000);

afterAll(() => removeCompiled(outDir));

/** The `[kafka]` keys that make every client print: debug lines, access logs with request and response, metrics, traces. */
const EVERY_SWITCH = `debug = true
enableAccessInterceptor = true
enableAccessInterceptorReq = true
enableAccessInterceptorRes = true
enableMetricInterceptor = true
enableTraceInterceptor = true`;

/**
 * The clients the child runs, after its `[kafka]` keys: producer `p1` writing `topic`, groups `cg1` and
 * `cg2` reading it, and server `s1` (debug on) reading with `cg2`.
 */
function clientsToml(topic: string, clientTimeout: string): string {
  const group = (name: string) => `
[kafka.consumerGroups.${name}]
topic = "${topic}"
groupID = "${topic}-${name}"
${FAST_GROUP}`;
  return `
[kafka.client]
timeout = "${clientTimeout}"
[kafka.producers.p1]
topic = "${topic}"
batchTimeout = "5ms"
writeTimeout = "5s"
${group("cg1")}
${group("cg2")}
[kafkaConsumerServers.s1]
debug = true
consumerGroupName = "cg2"
`;
}

/**
 * The [kafka] and [kafkaConsumerServers] trees of the child; the password comes from $KAFKA_PASSWORD:
 * the SCRAM-SHA-512 password on the SASL listener, or the client key's tls.keyPassword on the mutual-TLS one.
 */
function childToml(topic: string, kind: "sasl" | "tls" = "sasl"): string {
  return `
[kafka]
${kind === "sasl" ? saslKeys() : `brokers = ${JSON.stringify(localListeners.ssl)}`}
${EVERY_SWITCH}
${kind === "tls" ? tlsKeys() : ""}
${clientsToml(topic, "3s")}`;
}

function saslKeys(): string {
  return `brokers = ${JSON.stringify(sasl!.brokers)}
saslMechanism = "SCRAM-SHA-512"
saslUserName = "${sasl!.scram512User}"
saslPassword = "\${KAFKA_PASSWORD}"`;
}

function tlsKeys(): string {
  return `[kafka.tls]
enable = true
caFile = "${tlsFiles.ca}"
certFile = "${tlsFiles.clientCert}"
keyFile = "${tlsFiles.clientEncryptedKey}"
keyPassword = "\${KAFKA_PASSWORD}"`;
}

/** Every form a password could be printed in: as is, base64, hex, and JSON-escaped. */
function forms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("hex"), JSON.stringify(secret).slice(1, -1)];
}

async function runChild(
  mode: "good" | "wrong",
  topic: string,
  password: string,
  kind: "sasl" | "tls" = "sasl",
): Promise<{ code: number | string; output: string }> {
  const child = startChild(
    outDir!,
    CHILD,
    { CHILD_TOML: childToml(topic, kind), CHILD_MODE: mode, TOPIC: topic, KAFKA_PASSWORD: password, NO_COLOR: "1" },
    90_000,
  );
  const code = await child.exited;
  return { code, output: child.output() };
}

describe.runIf(sasl)("secrets", () => {
  const right = () => sasl!.scram512Password;
  const secrets = () => [...forms(right()), ...forms(WRONG_PASSWORD)];

  it("never reach stdout or stderr of a SASL producer, consumer group and Consumer Server with debug and every interceptor on", async () => {
    const topic = uniqueName("e2e-secrets");
    const good = await runChild("good", topic, right());
    const wrong = await runChild("wrong", topic, WRONG_PASSWORD);
    const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "").length;
    const debugLines = (text: string) => text.split("\n").filter((l) => /\[ekafka\] kafka(\.\S+)? \S+ \[[\d.]+ms\] \w+ \|/.test(l));
    console.log(
      `secrets: right-password run printed ${good.output.length} bytes in ${lines(good.output)} lines (${debugLines(good.output).length} debug lines), ` +
        `wrong-password run ${wrong.output.length} bytes in ${lines(wrong.output)} lines (${debugLines(wrong.output).length} debug lines); ` +
        `occurrences of either password: ${secrets().filter((s) => good.output.includes(s) || wrong.output.includes(s)).length}`,
    );

    // The right password: everything worked, and it was all printed.
    expect(good.code, good.output.slice(-3000)).toBe(0);
    expect(good.output).toContain(`group read 10`);
    expect(good.output).toContain(`server handled 10`);
    const goodDebug = debugLines(good.output).join("\n");
    for (const operation of ["CreateTopics", "WriteMessages", "Poll", "CommitMessages"])
      expect(goodDebug, operation).toContain(` ${operation} |`);
    expect(goodDebug).toContain("secret-test 0"); // the debug lines show message values
    expect(good.output).toMatch(/"operation":"WriteMessages"/); // access log lines
    expect(good.output).toContain('"msg":"message handled"'); // the Consumer Server's debug lines
    expect(good.output).toContain("ekafka_client_handle_seconds"); // the metrics
    // The component's "built" line logs its config, redacted.
    const built = good.output.split("\n").find((l) => l.includes('"msg":"built"'));
    expect(built).toBeDefined();
    expect(built).toContain(`"saslPassword":"${REDACTED}"`);
    // librdkafka treats the user name as sensitive too (sasl.username), and so does the one rule.
    expect(built).toContain(`"saslUserName":"${REDACTED}"`);
    expect(built).toContain(`"saslMechanism":"SCRAM-SHA-512"`);

    // The wrong password: every call failed with an authentication error, printed in full.
    expect(wrong.code, wrong.output.slice(-3000)).toBe(0);
    expect(wrong.output).not.toContain("UNEXPECTEDLY SUCCEEDED");
    for (const call of ["writeMessages failed", "ping failed", "createTopics failed"]) expect(wrong.output, call).toContain(call);
    expect(wrong.output).toMatch(/poll (failed|returned an error event)/);
    expect(wrong.output).toMatch(/consumer server (error|failed)/);
    expect(wrong.output).toMatch(/authentication failed/i);
    expect(debugLines(wrong.output).filter((l) => / WriteMessages \|.*=> ERROR /.test(l)).length).toBeGreaterThan(0);

    for (const secret of secrets()) {
      expect(good.output.includes(secret), `right-password run printed ${JSON.stringify(secret)}`).toBe(false);
      expect(wrong.output.includes(secret), `wrong-password run printed ${JSON.stringify(secret)}`).toBe(false);
    }
  }, 120_000);

  it("redactConfig hides the password and keeps everything else", async () => {
    const kafka = buildComponent(
      `saslMechanism = "SCRAM-SHA-512"\nsaslUserName = "${sasl!.scram512User}"\nsaslPassword = "${WRONG_PASSWORD}"
[kafka.properties]
"sasl.password" = "${WRONG_PASSWORD}"
[kafka.consumerGroups.cg1]
topic = "t"
groupID = "g"
[kafka.consumerGroups.cg1.properties]
"sasl.password" = "${WRONG_PASSWORD}"
"fetch.wait.max.ms" = 100
[kafka.producers.p1.properties]
"ssl.key.password" = "${WRONG_PASSWORD}"`,
    );
    try {
      const redacted = redactConfig(kafka.config);
      const text = JSON.stringify(redacted);
      for (const secret of forms(WRONG_PASSWORD)) expect(text).not.toContain(secret);
      expect(redacted.saslPassword).toBe(REDACTED);
      expect(redacted.properties["sasl.password"]).toBe(REDACTED);
      expect(redacted.consumerGroups.cg1!.properties["sasl.password"]).toBe(REDACTED);
      expect(redacted.producers.p1!.properties["ssl.key.password"]).toBe(REDACTED);
      // everything else is kept, and the component's own config is not changed
      expect(redacted.saslUserName).toBe(REDACTED);
      expect(redacted.consumerGroups.cg1!.properties["fetch.wait.max.ms"]).toBe("100");
      expect(redacted.brokers).toEqual(kafka.config.brokers);
      expect(kafka.config.saslPassword).toBe(WRONG_PASSWORD);
      expect({
        ...redacted,
        saslPassword: WRONG_PASSWORD,
        saslUserName: sasl!.scram512User,
        properties: kafka.config.properties,
        consumerGroups: kafka.config.consumerGroups,
        producers: kafka.config.producers,
      }).toEqual(kafka.config);
    } finally {
      await kafka.close();
    }
  });
});

describe.runIf(localCluster)("the TLS key password", () => {
  const WRONG_KEY_PASSWORD = "Wr0ng-tls-key-Pa55-c41d";
  const secrets = () => [...forms(tlsFiles.clientKeyPassword), ...forms(WRONG_KEY_PASSWORD)];

  it("never reaches stdout or stderr of a mutual-TLS producer, consumer group and Consumer Server whose key is encrypted (tls.keyPassword)", async () => {
    const topic = uniqueName("e2e-secrets-tls");
    const good = await runChild("good", topic, tlsFiles.clientKeyPassword, "tls");
    const wrong = await runChild("wrong", topic, WRONG_KEY_PASSWORD, "tls");
    const debugLines = (text: string) => text.split("\n").filter((l) => /\[ekafka\] kafka(\.\S+)? \S+ \[[\d.]+ms\] \w+ \|/.test(l));
    console.log(
      `secrets (tls.keyPassword): right-password run printed ${good.output.length} bytes (${debugLines(good.output).length} debug lines), ` +
        `wrong-password run ${wrong.output.length} bytes (${debugLines(wrong.output).length} debug lines); ` +
        `occurrences of either password: ${secrets().filter((s) => good.output.includes(s) || wrong.output.includes(s)).length}`,
    );

    // The right password: the encrypted key was read and everything worked, with everything printed.
    expect(good.code, good.output.slice(-3000)).toBe(0);
    expect(good.output).toContain("group read 10");
    expect(good.output).toContain("server handled 10");
    expect(debugLines(good.output).join("\n")).toContain(" WriteMessages |");
    const built = good.output.split("\n").find((l) => l.includes('"msg":"built"'));
    expect(built).toContain(`"keyPassword":"${REDACTED}"`);

    // The wrong password: every call failed, and the failures were printed in full.
    expect(wrong.code, wrong.output.slice(-3000)).toBe(0);
    expect(wrong.output).not.toContain("UNEXPECTEDLY SUCCEEDED");
    for (const call of ["writeMessages failed", "ping failed", "createTopics failed"]) expect(wrong.output, call).toContain(call);
    expect(wrong.output).toContain("tls.keyPassword decrypts tls.keyFile");

    for (const secret of secrets()) {
      expect(good.output.includes(secret), `right-password run printed ${JSON.stringify(secret)}`).toBe(false);
      expect(wrong.output.includes(secret), `wrong-password run printed ${JSON.stringify(secret)}`).toBe(false);
    }
  }, 120_000);
});

/**
 * Every property librdkafka treats as sensitive (read from its rdkafka_conf.c, not from our list), set
 * to a marker of its own in `[kafka.properties]`, plus the typed saslUserName and saslPassword (SASL is
 * off, so the plaintext cluster is still reached).
 */
function markerToml(topic: string, markers: ReadonlyMap<string, string>): string {
  return `
[server.governor]
host = "127.0.0.1"
port = 0
[kafka]
brokers = ${JSON.stringify(brokers)}
${EVERY_SWITCH}
statisticsInterval = "1s"
saslUserName = "${markers.get("saslUserName")!}"
saslPassword = "${markers.get("saslPassword")!}"
[kafka.properties]
${[...markers]
  .filter(([name]) => name.includes("."))
  .map(([name, marker]) => `"${name}" = "${marker}"`)
  .join("\n")}
${clientsToml(topic, "5s")}
[kafka.consumers.c1]
topic = "${topic}"
partition = 0
`;
}

describe("every sensitive librdkafka property", () => {
  it("set to a marker, shows in no log, debug or access line, error, metric nor governor page of any client", async () => {
    const topic = uniqueName("e2e-secrets-markers");
    const names = [...settableSensitiveProperties(), "saslUserName", "saslPassword"];
    const markers = new Map(names.map((name, i) => [name, `MARKER${i}x${Math.random().toString(36).slice(2, 10)}`]));
    const child = startChild(
      outDir!,
      CHILD,
      { CHILD_TOML: markerToml(topic, markers), CHILD_MODE: "markers", TOPIC: topic, NO_COLOR: "1" },
      90_000,
    );
    const code = await child.exited;
    const output = child.output();
    const debugLines = output.split("\n").filter((l) => /\[ekafka\] kafka(\.\S+)? \S+ \[[\d.]+ms\] \w+ \|/.test(l));
    const leaked = names.filter((name) => forms(markers.get(name)!).some((form) => output.includes(form)));
    console.log(
      `secrets (markers): ${names.length} properties and keys set, ${output.length} bytes printed, ` +
        `${debugLines.length} debug lines; leaked: ${leaked.length === 0 ? "none" : leaked.join(", ")}`,
    );

    // Everything ran and printed: each kind of client, a call that failed, and every governor page.
    expect(code, output.slice(-3000)).toBe(0);
    expect(output).toContain("group read 10");
    expect(output).toContain("consumer read 0");
    expect(output).toContain("server handled 10");
    expect(output).toMatch(/createTopics \(exists\) failed/);
    expect(output).toContain('"msg":"built"');
    expect(output).toMatch(/"operation":"WriteMessages"/);
    for (const operation of ["CreateTopics", "WriteMessages", "ReadMessage", "Poll", "CommitMessages"])
      expect(debugLines.join("\n"), operation).toContain(` ${operation} |`);
    for (const page of ["/debug/config: 200", "/debug/servers: 200", "/metrics: 200"]) expect(output).toContain(`governor ${page}`);
    // The pages show the properties, redacted: each one is there.
    const config = output.split("\n").find((l) => l.startsWith("governor /debug/config"))!;
    for (const name of names.filter((n) => n.includes("."))) expect(config, name).toContain(`"${name}":"${REDACTED}"`);

    expect(leaked).toEqual([]);
  }, 120_000);
});
