import { Counter, register, type Registry } from "prom-client";
import { errorCode } from "./interceptors/metric.js";

/** Name of the counter of messages a producer could not deliver. */
export const DELIVERY_ERRORS_TOTAL = "ekafka_producer_delivery_errors_total";

const LABELS = ["client", "topic", "code"] as const;

function deliveryErrors(registry: Registry): Counter<(typeof LABELS)[number]> {
  return (
    (registry.getSingleMetric(DELIVERY_ERRORS_TOTAL) as Counter<(typeof LABELS)[number]> | undefined) ??
    new Counter({
      name: DELIVERY_ERRORS_TOTAL,
      help: "Messages a producer could not deliver, by topic and error code (librdkafka's delivery reports).",
      labelNames: LABELS,
      registers: [registry],
    })
  );
}

/**
 * Counts one failed delivery report: `client` is the producer's config key, `code` the error's code
 * (bounded, see errorCode). Counted for every producer, `async` ones included, whose failures no caller
 * awaits.
 */
export function countDeliveryError(client: string, topic: string, error: unknown, registry: Registry = register): void {
  try {
    deliveryErrors(registry).inc({ client, topic, code: errorCode(error) });
  } catch {
    // A metric must never cost a delivery report.
  }
}
