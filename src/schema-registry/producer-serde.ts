import type { MessageInput } from "../message.js";
import type { ProducerSerdeConfig } from "../kafka-fields.js";
import { readSchemaFile } from "./format.js";
import type { SchemaRegistry } from "./registry.js";
import { FieldSerializer, type Encode } from "./serializer.js";

/**
 * A producer's serialization of values and keys through the schema registry: `writeMessages` hands it
 * the caller's messages, and it returns them with the value and key in the registry's wire format.
 */
export class ProducerSerde {
  private constructor(
    private readonly value: FieldSerializer | undefined,
    private readonly key: FieldSerializer | undefined,
  ) {}

  /**
   * The serde of producer `key`, or undefined when it has neither valueFormat nor keyFormat. Reads the
   * schema files now, so a missing one fails when the producer is made.
   * @throws ConfigError naming the schema file's key when it cannot be read or is not a schema
   */
  static of(registry: SchemaRegistry | undefined, config: ProducerSerdeConfig, key: string): ProducerSerde | undefined {
    if (registry === undefined || (config.valueFormat === undefined && config.keyFormat === undefined)) return undefined;
    const field = (name: "value" | "key") => {
      const format = config[`${name}Format`];
      if (format === undefined) return undefined;
      const file = config[`${name}SchemaFile`];
      const useLatestVersion = file === undefined && config.useLatestVersion;
      const schema = file === undefined ? undefined : readSchemaFile(file, format, `${key}.${name}SchemaFile`);
      return new FieldSerializer(
        registry,
        name,
        {
          format,
          useLatestVersion,
          autoRegister: config.autoRegister,
          ...(file === undefined ? {} : { schemaFile: file, schema: schema! }),
        },
        key,
      );
    };
    return new ProducerSerde(field("value"), field("key"));
  }

  /**
   * The messages with value and key serialized (null and absent ones stay as they are), in order; a
   * message without a topic is left for writeMessages to refuse.
   * @throws SchemaEncodeError when a value or key does not match its schema
   * @throws SchemaRegistryError when the registry cannot be asked, or refuses the schema
   */
  async serialize(inputs: readonly MessageInput[], defaultTopic: string | undefined): Promise<MessageInput[]> {
    const out = new Array<MessageInput>(inputs.length);
    // A write call usually goes to one topic: its encoders are looked up once, not per message.
    let topic: string | undefined;
    let encodeValue: Encode | undefined;
    let encodeKey: Encode | undefined;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const target = (input as MessageInput | null)?.topic ?? defaultTopic;
      if (target === undefined || target === "" || input === null || typeof input !== "object") {
        out[i] = input;
        continue;
      }
      if (target !== topic) {
        topic = target;
        encodeValue = await this.value?.encoderFor(topic);
        encodeKey = await this.key?.encoderFor(topic);
      }
      const value = encodeValue === undefined || input.value == null ? input.value : await encodeValue(input.value, i);
      const key = encodeKey === undefined || input.key == null ? input.key : await encodeKey(input.key, i);
      out[i] = withBytes(input, value, key);
    }
    return out;
  }
}

/**
 * The message with its value and key replaced by their bytes, as an object of one fixed shape: copying
 * the caller's object with a spread cost more than encoding the value.
 */
function withBytes(input: MessageInput, value: MessageInput["value"], key: MessageInput["key"]): MessageInput {
  const { topic, partition, headers, time } = input;
  return { topic, partition, key, value, headers, time };
}
