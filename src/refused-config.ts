import { hintForText } from "./errors.js";
// librdkafka checks a client's configuration as a whole only when the client is created, which the
// binding does on connect: a property that conflicts with another (`group.protocol = "consumer"` with
// the `session.timeout.ms` a group member always gets) passes every check at build time and fails
// there. This module turns that refusal into a ConfigError naming the config keys behind it.
import { ConfigError } from "./core/errors.js";
import { mappingTable } from "./librdkafka-properties.js";

/** The trees of `[kafka]` a client's entry can be in. */
export type ClientTree = "producers" | "consumers" | "consumerGroups";

/** Where one client's librdkafka properties come from in the config. */
export interface PropertyOrigins {
  /** The client's config key, e.g. `kafka.consumerGroups.billing`. */
  readonly instanceKey: string;
  /**
   * The config keys that set `property` (a librdkafka name) for this client: the `properties` entry
   * that sets it (the instance's over the component's), else the typed keys that map to it.
   */
  keysOf(property: string): string[];
}

/** What {@link propertyOrigins} reads: the keys of the component and the instance, and their raw tables. */
export interface OriginSource {
  /** `kafka` */
  componentKey: string;
  /** `kafka.consumerGroups.billing` */
  instanceKey: string;
  tree: ClientTree;
  /** `[kafka.properties]` */
  componentRaw: Readonly<Record<string, string>>;
  /** `[<instanceKey>.properties]` */
  instanceRaw: Readonly<Record<string, string>>;
}

/** The origins of one client's properties, from the config reference's mapping rows and its raw tables. */
export function propertyOrigins(source: OriginSource): PropertyOrigins {
  const { componentKey, instanceKey, tree, componentRaw, instanceRaw } = source;
  const instancePrefix = `${tree}.<name>.`;
  const typedKeys = (property: string): string[] =>
    mappingTable
      .filter((row) => row.librdkafka === property)
      .flatMap((row) => {
        if (row.key.startsWith(instancePrefix)) return [`${instanceKey}.${row.key.slice(instancePrefix.length)}`];
        return row.key.includes("<name>") ? [] : [`${componentKey}.${row.key}`];
      });
  return {
    instanceKey,
    keysOf(property) {
      if (Object.hasOwn(instanceRaw, property)) return [`${instanceKey}.properties.${property}`];
      if (Object.hasOwn(componentRaw, property)) return [`${componentKey}.properties.${property}`];
      return typedKeys(property);
    },
  };
}

/**
 * A configuration librdkafka refused as it created the client. It is `fatal` like a KafkaError whose
 * client can no longer be used, so whatever stops on fatal client errors (the Consumer Server's fetch
 * loop) stops on it rather than polling again.
 */
export class RefusedConfigError extends ConfigError {
  /** Always true: the client never works with this configuration. */
  readonly fatal = true;
}

/** Origins that name no key but the client's own (a client built without its config at hand). */
export function clientOnlyOrigins(instanceKey: string): PropertyOrigins {
  return { instanceKey, keysOf: () => [] };
}

/** Names that look like librdkafka properties (`session.timeout.ms`, `group.protocol`) in a text. */
const PROPERTY_NAME = /[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+/g;

/**
 * The error for a configuration librdkafka refused when creating the client. Its key is the `properties`
 * entry among the properties the reason names (what the user added), else the typed key, else the
 * client's key; the message gives librdkafka's reason and the key behind each property it names.
 *
 * @example
 * // kafka.consumerGroups.cg.properties.group.protocol: librdkafka refused the configuration of
 * // kafka.consumerGroups.cg: `session.timeout.ms` is not supported for `group.protocol=consumer` ...
 * // (session.timeout.ms is set by kafka.consumerGroups.cg.sessionTimeout; group.protocol by
 * // kafka.consumerGroups.cg.properties.group.protocol)
 */
export function refusedConfigError(origins: PropertyOrigins, reason: string): RefusedConfigError {
  const named = [...new Set(reason.match(PROPERTY_NAME) ?? [])]
    .map((property) => ({ property, keys: origins.keysOf(property) }))
    .filter(({ keys }) => keys.length > 0);
  const raw = named.find(({ keys }) => keys.some((key) => key.includes(".properties.")));
  const key = raw?.keys[0] ?? named[0]?.keys[0] ?? origins.instanceKey;
  const of = key === origins.instanceKey ? "" : ` of ${origins.instanceKey}`;
  const sources = named.map(({ property, keys }, i) => `${property} ${i === 0 ? "is set by " : "by "}${keys.join(" and ")}`).join("; ");
  const where = sources === "" ? "" : ` (${sources})`;
  const hint = hintForText(reason);
  return new RefusedConfigError(
    `${key}: librdkafka refused the configuration${of}: ${reason}${where}${hint === undefined ? "" : `; ${hint}`}`,
    {
      key,
    },
  );
}
