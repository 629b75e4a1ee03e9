import { ProxyTracerProvider, trace } from "@opentelemetry/api";
import { otelApiInUse } from "./otel-globals.js";

/** The provider `@opentelemetry/api` delegates to while no SDK is registered. */
const NO_SDK = new ProxyTracerProvider().getDelegate();

/**
 * Whether the application registered a tracer provider (an SDK): the global provider is the API's
 * proxy, which delegates to its no-op provider until one is. A provider the proxy does not recognise
 * (another copy of the API) counts as registered. Cheap enough to ask per message (see
 * {@link otelApiInUse}: an SDK registered after start is picked up from the next synchronous run on);
 * while none is, span making is skipped altogether — the API's no-op spans
 * still cost a span, a context and its checks per message.
 */
export function tracerProviderRegistered(): boolean {
  if (!otelApiInUse()) return false;
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_SDK;
}
