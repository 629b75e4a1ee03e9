import { isRecoverable } from "../recoverable-error.js";
import type { RetryTierSettings } from "./settings.js";

/** Where a message goes after its handler failed: a retry tier, or the dead-letter topic. */
export type NextStep = { kind: "tier"; tier: number; delayMs: number } | { kind: "deadLetter"; reason: "exhausted" | "notRecoverable" };

/**
 * The next step for a message that failed in tier `tier` (0: read from its own topic) with `error`:
 * the next tier while there is one, then the dead-letter topic; an error that is not recoverable goes
 * to the dead-letter topic at once unless `retryNonRecoverable` is set.
 */
export function nextStep(settings: RetryTierSettings, tier: number, error: unknown): NextStep {
  if (!settings.retryNonRecoverable && !isRecoverable(error)) return { kind: "deadLetter", reason: "notRecoverable" };
  const next = tier + 1;
  const delayMs = settings.delaysMs[next - 1];
  return delayMs === undefined ? { kind: "deadLetter", reason: "exhausted" } : { kind: "tier", tier: next, delayMs };
}
