import { config as globalConfig, type Config } from "../src/core/index.js";
import { decodeConsumerServerConfig, type ConsumerServerConfig } from "./config.js";
import { defaultServerOptions, type Option } from "./options.js";
import { ConsumerServer } from "./server.js";

/** A server's decoded config, waiting for {@link build}'s options. */
export class ServerContainer {
  constructor(
    /** The config key, e.g. `kafkaConsumerServers.s1`. */
    readonly key: string,
    /** The decoded tree at `key`. */
    readonly config: ConsumerServerConfig,
  ) {}

  /**
   * Builds the server. `withEkafka(component)` is required.
   * @throws Error when withEkafka is missing
   */
  build(...options: Option[]): ConsumerServer {
    const applied = defaultServerOptions();
    for (const option of options) option(applied);
    return new ConsumerServer(this.key, this.config, applied);
  }
}

/**
 * Reads a Consumer Server's tree (`debug`, `consumerName`, `consumerGroupName`, `deadLetterProducer`,
 * `partitionConcurrency`, and the retry-tier keys `retryDelays`, `retryProducer`, `retryTopicFormat`,
 * `retryNonRecoverable`; keys ignore case, unknown keys are warned about), as Go's
 * `consumerserver.Load(key)` does.
 *
 * @param key e.g. `"kafkaConsumerServers.s1"`
 * @param cfg the config tree to read; the global `config` of ekafka/core by default
 * @throws ConfigError naming the key for a value of the wrong type
 */
export function load(key: string, cfg: Config = globalConfig): ServerContainer {
  return new ServerContainer(key, decodeConsumerServerConfig(cfg.get(key), key));
}
