import type { SchemaInfo } from "@confluentinc/schemaregistry";

// Confluent's wire format: the magic byte 0, the schema id as a 4-byte big-endian integer, the payload.
const MAGIC_BYTE = 0;

/** Bytes before the payload. */
export const HEADER_BYTES = 5;

/** The 5 bytes that start every record written with schema `id`. */
export function wireHeader(id: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = MAGIC_BYTE;
  header.writeInt32BE(id, 1);
  return header;
}

/** The schema id in the first bytes of `bytes`, or -1 when they are not in the wire format. */
export function wireSchemaId(bytes: Buffer): number {
  return bytes.length >= HEADER_BYTES && bytes[0] === MAGIC_BYTE ? bytes.readInt32BE(1) : -1;
}

/**
 * Whether a schema carries data-contract rules (field transforms, encryption, migrations). Without any,
 * encoding and decoding are a schema's type applied to the bytes, and the serdes' per-message rule
 * machinery can be skipped.
 */
export function hasRules(info: SchemaInfo): boolean {
  const rules = info.ruleSet;
  return (rules?.domainRules?.length ?? 0) + (rules?.migrationRules?.length ?? 0) + (rules?.encodingRules?.length ?? 0) > 0;
}
