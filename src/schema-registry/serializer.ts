import type { Serializer } from "@confluentinc/schemaregistry";
import { SchemaEncodeError } from "./errors.js";
import { REGISTRY_SCHEMA_TYPE, type SchemaFormat } from "./format.js";
import type { SchemaRegistry } from "./registry.js";

/** How one field (value or key) of a producer's messages is written. */
export interface FieldSerde {
  /** The format of the field. */
  format: SchemaFormat;
  /** The schema's text, read from `valueSchemaFile` / `keySchemaFile`; absent with `useLatestVersion`. */
  schema?: string;
  /** Where the schema came from (the file's path), for errors. */
  schemaFile?: string;
  /** Write with the subject's latest registered version instead of a schema file. */
  useLatestVersion: boolean;
  /** Register the schema under the subject when it is not there (Confluent's auto.register.schemas). */
  autoRegister: boolean;
}

/**
 * Serializes one field of a producer's messages into Confluent's wire format (magic byte 0, the 4-byte
 * schema id, the payload), with `@confluentinc/schemaregistry`'s serializers.
 *
 * The subject is `<topic>-value` / `<topic>-key` (Confluent's TopicNameStrategy). A topic's schema id is
 * looked up once — registered (autoRegister), looked up (a schema file without autoRegister) or the
 * subject's latest (useLatestVersion) — and kept, so writes after the first make no registry call. A
 * failed lookup is forgotten, so the next write asks again.
 */
export class FieldSerializer {
  private readonly perTopic = new Map<string, Promise<Serializer>>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly field: "value" | "key",
    private readonly serde: FieldSerde,
    /** The producer's config key, named in errors. */
    private readonly key: string,
  ) {}

  /**
   * The field's bytes in the wire format.
   * @throws SchemaEncodeError when the value does not match the schema
   * @throws SchemaRegistryError when the registry cannot be asked or refuses the schema
   */
  async serialize(topic: string, value: unknown, index: number): Promise<Buffer> {
    const serializer = await this.serializerFor(topic);
    try {
      return await serializer.serialize(topic, value);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new SchemaEncodeError(
        `${this.key}: writeMessages: message ${index}: ${this.field} does not match the ${this.serde.format} schema ${this.schemaName(topic)}: ${reason}`,
        { key: this.key, field: this.field, schema: this.schemaName(topic) },
      );
    }
  }

  private serializerFor(topic: string): Promise<Serializer> {
    let serializer = this.perTopic.get(topic);
    if (serializer === undefined) {
      serializer = this.makeSerializer(topic);
      serializer.catch(() => this.perTopic.delete(topic));
      this.perTopic.set(topic, serializer);
    }
    return serializer;
  }

  private async makeSerializer(topic: string): Promise<Serializer> {
    const { lib, client } = await this.registry.open();
    const subject = `${topic}-${this.field}`;
    const serdeType = this.field === "value" ? lib.SerdeType.VALUE : lib.SerdeType.KEY;
    const schemaType = REGISTRY_SCHEMA_TYPE[this.serde.format];
    let config: Record<string, unknown> = { useLatestVersion: true };
    if (!this.serde.useLatestVersion) {
      const info = { schemaType, schema: this.serde.schema! };
      const id = this.serde.autoRegister
        ? await this.registry.call(
            `${this.key}: registering the ${this.field} schema ${this.serde.schemaFile} under subject ${subject}`,
            () => client.register(subject, info, false),
          )
        : await this.registry.call(`${this.key}: looking up the ${this.field} schema ${this.serde.schemaFile} in subject ${subject}`, () =>
            client.getId(subject, info, false),
          );
      config = { useSchemaId: id };
    }
    const conf = { ...config, autoRegisterSchemas: false, subjectNameStrategyType: lib.SubjectNameStrategyType.TOPIC };
    const serializer =
      this.serde.format === "avro"
        ? new lib.AvroSerializer(client, serdeType, conf)
        : new lib.JsonSerializer(client, serdeType, { ...conf, validate: true });
    // The lookups serialize() makes, made here within the timeout; afterwards they come from the client's caches.
    await this.registry.call(`${this.key}: reading the ${this.field} schema of subject ${subject}`, () =>
      serializer.getSchemaId(schemaType, topic, undefined),
    );
    return serializer;
  }

  private schemaName(topic: string): string {
    return this.serde.useLatestVersion ? `(latest version of subject ${topic}-${this.field})` : (this.serde.schemaFile ?? "");
  }
}
