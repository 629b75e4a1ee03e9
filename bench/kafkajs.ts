import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { BROKERS, type Codec } from "./settings.js";

/** A KafkaJS client for the local cluster; its own logging off (errors surface as rejections). */
export function kafkajsClient(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: BROKERS, logLevel: logLevel.NOTHING });
}

/**
 * KafkaJS's codec for `codec`, or undefined when it has none built in: it ships GZIP only; Snappy, LZ4
 * and ZSTD need extra codec packages, which the comparison leaves out.
 */
export function kafkajsCompression(codec: Codec): CompressionTypes | undefined {
  if (codec === "none") return CompressionTypes.None;
  if (codec === "gzip") return CompressionTypes.GZIP;
  return undefined;
}
