import type { Client, ClientConfig } from "@confluentinc/schemaregistry";
import { SchemaRegistryError } from "./errors.js";

/** `kafka.schemaRegistry`: where schemas are registered and looked up. Durations are milliseconds. */
export interface SchemaRegistryConfig {
  /** Base URL of a Confluent-compatible registry API, e.g. "http://127.0.0.1:8081/apis/ccompat/v7". Default: none (no registry). */
  url?: string;
  /** Basic-auth user name. Default: none. */
  userName?: string;
  /** Basic-auth password. Never logged nor put in an error. Default: none. */
  password?: string;
  /** Longest a registry call may take (a registration, a lookup), retries included. Default 5000. */
  timeout: number;
}

/** The library of serializers, loaded on first use: it takes most of a second to load and most services never need it. */
export type SchemaRegistryLibrary = typeof import("@confluentinc/schemaregistry");

let library: Promise<SchemaRegistryLibrary> | undefined;

/** `@confluentinc/schemaregistry`, imported once. */
export function schemaRegistryLibrary(): Promise<SchemaRegistryLibrary> {
  library ??= import("@confluentinc/schemaregistry");
  return library;
}

/**
 * The component's connection to the schema registry: one client (its caches shared by every producer
 * and reader), and {@link call}, which bounds a registry call by `timeout` and turns its failure into a
 * {@link SchemaRegistryError} naming the URL.
 */
export class SchemaRegistry {
  /** The registry's URL, as configured. */
  readonly url: string;
  private client: Promise<Client> | undefined;

  constructor(
    private readonly config: SchemaRegistryConfig & { url: string },
    /** The config key of the registry's URL, named in errors. */
    readonly urlKey = "kafka.schemaRegistry.url",
  ) {
    this.url = config.url;
    // Loading starts now, when the first producer or reader with a format is made, not at its first write.
    void schemaRegistryLibrary().catch(() => undefined);
  }

  /** The library and the shared client, made on first use. */
  async open(): Promise<{ lib: SchemaRegistryLibrary; client: Client }> {
    const lib = await schemaRegistryLibrary();
    this.client ??= Promise.resolve(new lib.SchemaRegistryClient(this.clientConfig()));
    return { lib, client: await this.client };
  }

  /**
   * Runs `request` (which talks to the registry) within `timeout`. Errors that are not the registry's
   * (a payload that does not decode, say) pass through unchanged.
   * @param what what is being done, for the error ("registering the schema of subject orders-value")
   * @throws SchemaRegistryError naming `kafka.schemaRegistry.url`, with the registry's status and message
   */
  async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SchemaRegistryError(
              `${what}: the schema registry at ${this.url} (${this.urlKey}) did not answer within ${this.config.timeout} ms`,
              { url: this.url },
            ),
          ),
        this.config.timeout,
      );
    });
    try {
      return await Promise.race([request(), timedOut]);
    } catch (err) {
      throw isRegistryFailure(err) ? this.error(what, err) : err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A failure of a registry call as a SchemaRegistryError. Only the status and message are kept, not
   * the HTTP client's error: that one carries the request's headers, the basic-auth password among them.
   */
  error(what: string, err: unknown): SchemaRegistryError {
    if (err instanceof SchemaRegistryError) return err;
    const status = registryStatus(err);
    const reason = err instanceof Error ? err.message : String(err);
    const answer = status === 0 ? `could not be reached: ${reason}` : `answered ${status}: ${reason}`;
    return new SchemaRegistryError(`${what}: the schema registry at ${this.url} (${this.urlKey}) ${answer}`, { url: this.url, status });
  }

  private clientConfig(): ClientConfig {
    const { userName, password, timeout } = this.config;
    return {
      baseURLs: [this.url],
      createAxiosDefaults: { timeout },
      // One quick retry of a failed request; call() bounds the whole by timeout anyway.
      maxRetries: 1,
      retriesWaitMs: 100,
      retriesMaxWaitMs: 500,
      ...(userName === undefined
        ? {}
        : { basicAuthCredentials: { credentialsSource: "USER_INFO", userInfo: `${userName}:${password ?? ""}` } }),
    };
  }
}

/** Whether `err` came from talking to the registry: its answer (RestError), or no answer (the HTTP client's error). */
function isRegistryFailure(err: unknown): boolean {
  if (err instanceof SchemaRegistryError) return true;
  const e = err as { status?: unknown; isAxiosError?: unknown } | null;
  return typeof e?.status === "number" || e?.isAxiosError === true;
}

/** The HTTP status of a registry answer (RestError's `status`), 0 when the registry did not answer. */
export function registryStatus(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : 0;
}
