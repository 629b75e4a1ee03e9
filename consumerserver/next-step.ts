import { isRecoverable } from "./recoverable-error.js";
import type { RetryTierSettings } from "./retry-tiers/settings.js";

/** Where a message goes after its handler failed (in-place retries included): a retry tier, the dead-letter topic, or nowhere. */
export type NextStep =
  { kind: "tier"; tier: number; delayMs: number } | { kind: "deadLetter"; reason: "exhausted" | "notRecoverable" } | { kind: "fail" };

/**
 * The next step for a message that failed in tier `tier` (0: read from its own topic) with `error`.
 * With retry tiers: the next tier while there is one, then the dead-letter topic; an error that is not
 * recoverable goes to the dead-letter topic at once unless `retryNonRecoverable` is set. Without them:
 * the dead-letter topic when the server has a dead-letter producer, else the server fails.
 */
export function nextStep(settings: RetryTierSettings | undefined, tier: number, error: unknown, canDeadLetter: boolean): NextStep {
  const recoverable = isRecoverable(error);
  if (settings === undefined)
    return canDeadLetter ? { kind: "deadLetter", reason: recoverable ? "exhausted" : "notRecoverable" } : { kind: "fail" };
  if (!settings.retryNonRecoverable && !recoverable) return { kind: "deadLetter", reason: "notRecoverable" };
  const next = tier + 1;
  const delayMs = settings.delaysMs[next - 1];
  return delayMs === undefined ? { kind: "deadLetter", reason: "exhausted" } : { kind: "tier", tier: next, delayMs };
}
