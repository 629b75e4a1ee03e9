import { decode, defineSchema, type Decoded, type Warn } from "../schema.js";

/** Ego's governor listens on every interface (its `--host` flag's default) … */
export const DEFAULT_GOVERNOR_HOST = "0.0.0.0";
/** … port 9003. */
export const DEFAULT_GOVERNOR_PORT = 9003;

/** The `[server.governor]` tree: Ego's keys and defaults. */
export const governorSchema = defineSchema({
  host: { type: "string", default: DEFAULT_GOVERNOR_HOST, doc: 'Interface to listen on; "127.0.0.1" keeps it off the network.' },
  port: {
    type: "number",
    integer: true,
    min: 0,
    max: 65_535,
    default: DEFAULT_GOVERNOR_PORT,
    doc: "TCP port; 0 picks a free one (see Governor.address()).",
  },
});

/**
 * The decoded `[server.governor]` tree.
 *
 * @interface
 */
export type GovernorConfig = Decoded<typeof governorSchema>;

/**
 * Decodes the governor's tree; keys ignore case, unknown ones are warned about (Ego's `network`,
 * `enableLocalMainIP` and `enableConnTcpMetric` have no counterpart here).
 * @throws ConfigError naming the key for a value of the wrong type or a port out of range
 */
export function decodeGovernorConfig(raw: unknown, key: string, warn?: Warn): GovernorConfig {
  return decode(raw, governorSchema, key, warn);
}
