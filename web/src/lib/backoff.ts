// Delays between retries and polls. Ten thousand tabs poll at once after a sale opens, so
// every delay grows and is jittered: a fixed interval would keep them in lock-step.

export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
}

export const kPollBackoff: BackoffPolicy = { initialMs: 400, factor: 1.7, maxMs: 8_000 };

/** Delay before poll number `attempt` (0-based): exponential, capped, "equal jitter" (½..1×). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** attempt);
  return Math.round(base / 2 + (base / 2) * random());
}

/**
 * Wait after a `503`/`429`: what the server asked for (Retry-After), plus up to 50% more so
 * that the clients it sent away do not all come back in the same millisecond. Without the
 * header, 1 s.
 */
export function retryAfterDelay(retryAfterMs: number | undefined, random: () => number): number {
  const base = retryAfterMs ?? 1_000;
  return Math.round(base + base * 0.5 * random());
}
