/**
 * ekafka — a config-driven Kafka component: `load("kafka").build()` reads the `[kafka]` tree and hands
 * out named producers, consumers and consumer groups, plus an admin client.
 *
 * @example
 * config.loadFile("config.toml"); // config from "ekafka/core"
 * const kafka = load("kafka").build();
 * await kafka.producer("orders").writeMessages({ key: "order-1", value: "{}" });
 * await kafka.close();
 *
 * @module ekafka
 */
import "reflect-metadata";

export { load, Container } from "./container.js";
export { Component, type ReaderTree } from "./component.js";
export {
  withBrokers,
  withClientInterceptor,
  withDebug,
  withLogger,
  withMetricsRegistry,
  withRegisterBalancer,
  withServerInterceptor,
  type BuildOptions,
  type Option,
} from "./options.js";
export { Producer, type AsyncErrorHandler } from "./producer.js";
export { Transaction } from "./transaction.js";
export { Consumer, type ReadOptions } from "./consumer.js";
export { ConsumerGroup, type ConsumerGroupEvent, type PollBatchOptions, type PollOptions } from "./consumer-group.js";
export { PollTimeoutError } from "./event-queue.js";
export { Client, type OffsetSpecInput, type PartitionInfo, type PartitionOffset, type TopicInfo, type TopicSpec } from "./client.js";
export { Message, type Header, type HeadersInput, type MessageFields, type MessageInput } from "./message.js";
export { AssignedPartitions, RevokedPartitions, type TopicPartition } from "./events.js";
export { KafkaError, ClosedError, ErrorCodes } from "./errors.js";
export { SchemaDecodeError, SchemaEncodeError, SchemaRegistryError } from "./schema-registry/errors.js";
export { SCHEMA_FORMATS, type SchemaFormat } from "./schema-registry/format.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export { Hash, Murmur2, RoundRobin, type BalanceWindow, type Balancer, type BalancerMessage } from "./balancer.js";
export {
  decodeKafkaConfig,
  SASL_MECHANISMS,
  type KafkaConfig,
  type SaslMechanism,
  type ProducerConfig,
  type ReaderConfig,
  type TlsConfig,
} from "./config.js";
export { type AdminClientConfig, type ProducerSerdeConfig, type ReaderSerdeConfig, type SchemaRegistrySettings } from "./kafka-fields.js";
export { mappingTable, type LibrdkafkaProperties, type MappingRow, type PropertyValue } from "./librdkafka-properties.js";
export * from "./interceptors.js";
export { clientStatistics } from "./client-statistics.js";
export {
  parseStatistics,
  totalLag,
  type BrokerStatistics,
  type ClientStatistics,
  type GroupStatistics,
  type PartitionStatistics,
} from "./statistics.js";
export { STATISTICS_METRICS } from "./statistics-metrics.js";
export { DELIVERY_ERRORS_TOTAL } from "./producer-metrics.js";
export { componentDebugConfig, type DebugConfigSource } from "./debug-config.js";
export { isSecretProperty, redactConfig, redactProperties, REDACTED, SENSITIVE_PROPERTIES } from "./secrets.js";
export { withRetries, isRetriableWriteError, type RetryOptions, type RetryWaits } from "./retry-policies.js";
