import { ConfigError } from "./core/errors.js";
import { findKeyIgnoringCase, isTable, joinKeyPath } from "./core/table.js";
import { ASSIGNMENT_STRATEGIES, fieldTables, type AnyFields, type KafkaConfig, type ReaderConfig } from "./kafka-fields.js";

// The rules of the group keys that go together: the group protocol (classic or KIP-848's consumer), its
// assignors, and static membership. With "consumer" the broker owns the session, the heartbeat and the
// assignment; the keys that set them on the client (marked `replacedByBroker` in the field table) are
// not sent, and setting one is a mistake worth stopping at: it would silently not apply.

/**
 * Checks a reader's group keys and returns it with `assignmentStrategy` in librdkafka's spelling.
 *
 * @param written the reader's table as written in the file, to tell a key set explicitly from its default
 * @throws ConfigError naming the key, what was expected and what replaces it
 */
export function checkGroupKeys(reader: ReaderConfig, written: unknown, keyPath: string): ReaderConfig {
  const key = (field: string) => joinKeyPath(keyPath, field);
  if (reader.groupID === undefined && reader.groupInstanceID !== undefined) {
    throw ConfigError.atKey(key("groupInstanceID"), "needs groupID: static membership is membership of a group");
  }
  if (reader.groupProtocol === "classic" && reader.groupRemoteAssignor !== undefined) {
    throw ConfigError.atKey(
      key("groupRemoteAssignor"),
      'applies only with groupProtocol = "consumer"; with "classic" choose the assignors with assignmentStrategy',
    );
  }
  if (reader.groupProtocol === "consumer") refuseBrokerOwnedKeys(written, keyPath);
  return { ...reader, assignmentStrategy: canonicalStrategies(reader.assignmentStrategy, key("assignmentStrategy")) };
}

function refuseBrokerOwnedKeys(written: unknown, keyPath: string): void {
  if (!isTable(written)) return;
  for (const [name, field] of Object.entries(fieldTables.reader as AnyFields)) {
    if (field.replacedByBroker === undefined) continue;
    const inputKey = findKeyIgnoringCase(written, name);
    if (inputKey === undefined) continue;
    throw ConfigError.atKey(
      joinKeyPath(keyPath, inputKey),
      `is decided by the broker with groupProtocol = "consumer" (broker setting ${field.replacedByBroker}); remove it, or use groupProtocol = "classic"`,
    );
  }
}

function canonicalStrategies(strategies: readonly string[], keyPath: string): string[] {
  const canonical = strategies.map((strategy) => {
    const known = ASSIGNMENT_STRATEGIES.find((name) => name === strategy.trim().toLowerCase());
    if (known === undefined)
      throw ConfigError.atKey(keyPath, `expected assignors among ${ASSIGNMENT_STRATEGIES.join(", ")}, found ${JSON.stringify(strategy)}`);
    return known;
  });
  if (canonical.length === 0) throw ConfigError.atKey(keyPath, `must name at least one assignor (${ASSIGNMENT_STRATEGIES.join(", ")})`);
  if (canonical.includes("cooperative-sticky") && canonical.length > 1) {
    throw ConfigError.atKey(
      keyPath,
      `"cooperative-sticky" cannot be combined with other assignors (librdkafka needs every assignor of a member to rebalance the same way), found ${canonical.join(", ")}`,
    );
  }
  return canonical;
}

/**
 * Refuses two readers of one component that would join the same group as the same static member: the
 * broker would fence one of them off.
 *
 * @param at the key path of a key under the component's tree
 * @throws ConfigError naming both readers' groupInstanceID keys
 */
export function checkUniqueInstances(config: KafkaConfig, at: (...path: string[]) => string): void {
  const seen = new Map<string, string>();
  for (const tree of ["consumers", "consumerGroups"] as const) {
    for (const [name, reader] of Object.entries(config[tree])) {
      const instance = reader.groupInstanceID?.trim();
      if (reader.groupID === undefined || instance === undefined || instance === "") continue;
      const key = at(tree, name, "groupInstanceID");
      const other = seen.get(`${reader.groupID}\u0000${instance}`);
      if (other !== undefined) {
        throw ConfigError.atKey(
          key,
          `is ${JSON.stringify(instance)} in group ${JSON.stringify(reader.groupID)}, as ${other} is: one static member would fence the other off`,
        );
      }
      seen.set(`${reader.groupID}\u0000${instance}`, key);
    }
  }
}
