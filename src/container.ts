import { resolveBalancer } from "./balancer.js";
import { Component } from "./component.js";
import { decodeKafkaConfig, type KafkaConfig } from "./config.js";
import { redactConfig } from "./secrets.js";
import { config as globalConfig, type Config } from "./core/config.js";
import { ConfigError } from "./core/errors.js";
import { createLogger } from "./core/logger.js";
import { consumerProperties, producerProperties, type LibrdkafkaProperties } from "./librdkafka-properties.js";
import { defaultBuildOptions, type Option } from "./options.js";
import { nativeConsumer, nativeProducer } from "./rdkafka.js";

/**
 * Holds the config key and the config tree until `build()`: Ego's `Load(key)` → Container →
 * `Build(options...)` → Component.
 */
export class Container {
  constructor(
    /** The config key the component is read from, e.g. "kafka". */
    readonly key: string,
    private readonly config: Config,
  ) {}

  /**
   * Decodes and checks the `[key]` tree, applies the options, and returns the component. Everything
   * that can be checked without a broker is checked here: types, unknown SASL mechanisms, compression
   * codes, balancer names, and every librdkafka property (librdkafka's own verdict).
   *
   * @throws ConfigError naming the key, what was expected and what was found
   */
  build(...options: Option[]): Component {
    const built = defaultBuildOptions();
    for (const option of options) option(built);
    const logger = built.logger ?? createLogger("ekafka", this.key);
    const decoded = decodeKafkaConfig(this.config.get(this.key) ?? {}, this.key, (warning) => logger.warn(warning));
    const kafkaConfig: KafkaConfig = {
      ...decoded,
      brokers: built.brokers ?? decoded.brokers,
      debug: built.debug ?? decoded.debug,
    };
    this.check(kafkaConfig, built.balancers);
    logger.debug({ config: redactConfig(kafkaConfig) }, "built");
    return new Component(this.key, kafkaConfig, built, logger);
  }

  private check(config: KafkaConfig, balancers: ReadonlyMap<string, import("./balancer.js").Balancer>): void {
    if (config.brokers.length === 0) {
      throw ConfigError.atKey(
        `${this.key}.brokers`,
        'expected at least one broker such as "127.0.0.1:9092", found none (set it in the file or use withBrokers)',
      );
    }
    for (const broker of config.brokers) {
      if (!/^[^\s:]+:\d+$/.test(broker) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(broker)) {
        throw ConfigError.atKey(`${this.key}.brokers`, `expected "host:port", found ${JSON.stringify(broker)}`);
      }
    }
    for (const [name, producer] of Object.entries(config.producers)) {
      const key = `${this.key}.producers.${name}`;
      resolveBalancer(producer.balancer, balancers, `${key}.balancer`);
      const properties = producerProperties(config, producer, { componentKey: this.key, instanceKey: key });
      this.checkRawProperties(
        { [`${this.key}.properties`]: config.properties, [`${key}.properties`]: producer.properties },
        properties,
        nativeProducer,
      );
      nativeProducer(key, properties);
    }
    for (const tree of ["consumers", "consumerGroups"] as const) {
      for (const [name, reader] of Object.entries(config[tree])) {
        const key = `${this.key}.${tree}.${name}`;
        const properties = consumerProperties(config, reader, { componentKey: this.key, instanceKey: key });
        this.checkRawProperties(
          { [`${this.key}.properties`]: config.properties, [`${key}.properties`]: reader.properties },
          properties,
          (k, p, all) => nativeConsumer(k, p, {}, all),
        );
        nativeConsumer(key, properties);
      }
    }
  }

  /**
   * Lets librdkafka judge each raw property on its own first, so a rejected one is reported at the line
   * the user wrote (`kafka.producers.p1.properties.linger.ms`), not under librdkafka's canonical name.
   */
  private checkRawProperties(
    tables: Record<string, Record<string, string>>,
    all: LibrdkafkaProperties,
    construct: (keyPath: string, properties: LibrdkafkaProperties, secretsFrom: LibrdkafkaProperties) => unknown,
  ): void {
    for (const [tableKey, table] of Object.entries(tables)) {
      for (const [name, value] of Object.entries(table)) construct(`${tableKey}.${name}`, { [name]: value }, all);
    }
  }
}

/**
 * Loads the component at `key` (usually "kafka") from the global config, or from `cfg`.
 *
 * ```ts
 * config.loadFile("config.toml");
 * const kafka = load("kafka").build();
 * ```
 */
export function load(key: string, cfg: Config = globalConfig): Container {
  return new Container(key, cfg);
}
