import { describe, expect, it } from "vitest";
import { toKafkaError } from "../../src/errors.js";

const verifyFailed =
  "sasl_ssl://127.0.0.1:9491/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified";

describe("toKafkaError's TLS explanations", () => {
  it("names tls.caFile when the broker's certificate could not be verified, from the last broker error", () => {
    const error = toKafkaError({ message: "Local: Broker transport failure", code: -195 }, "Ping", "kafka", verifyFailed);
    expect(error.message).toContain("the broker's TLS certificate could not be verified: check tls.caFile");
    expect(error.message).toContain(`last broker error: ${verifyFailed}`);
  });

  it("names tls.certFile and tls.keyFile when the broker refused the client certificate", () => {
    const error = toKafkaError(
      { message: "Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate", code: -181 },
      "connect",
      "kafka.producers.p1",
    );
    expect(error.message).toContain("check tls.certFile and tls.keyFile");
  });

  it("names tls.keyPassword when a TLS file could not be loaded", () => {
    const error = toKafkaError(
      { message: "ssl.key.location failed: error:0A080009:SSL routines::PEM lib" },
      "connect",
      "kafka.producers.p1",
    );
    expect(error.message).toContain("tls.keyPassword decrypts tls.keyFile");
  });

  it("does not repeat the last broker error when it is the error's own text", () => {
    const error = toKafkaError({ message: verifyFailed, code: -181 }, "connect", "kafka", verifyFailed);
    expect(error.message.split(verifyFailed)).toHaveLength(2);
  });

  it("adds no TLS explanation to other failures", () => {
    const error = toKafkaError(
      { message: "Local: Broker transport failure", code: -195 },
      "Ping",
      "kafka",
      "Connect to ipv4#127.0.0.1:9092 failed: Connection refused",
    );
    expect(error.message).not.toContain("tls.");
  });
});
