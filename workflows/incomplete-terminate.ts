/**
 * A terminate that could not remove every workload (an agent unreachable, its runtime down) is tried again: by
 * the user's next DELETE, and for an expired instance by the instance itself, waiting longer after each try.
 */

/** Marks the histories made since an incomplete terminate stopped refusing the DELETE that retries it. */
export const INCOMPLETE_TERMINATE_RETRIED = 'incomplete-terminate-retried';
/**
 * While a terminate waits for a lost agent, no observation may take its workload back as running: the agent's
 * return finishes the terminate. Before this, a sweep that saw the agent first marked its agent `started` again,
 * and the workload the user had terminated stayed on its engine.
 */
export const TERMINATE_WAITS_OVER_OBSERVATION = 'terminate-waits-over-observation';

/** LM_EXPIRY_RETRY_S's default, for instances submitted before the setting existed. */
export const DEFAULT_EXPIRY_RETRY_MS = 300_000;
const LONGEST_EXPIRY_RETRY_MS = 3_600_000;

/** The wait after the `attempt`th (1, 2, …) incomplete terminate at expiry: doubling from `firstMs`, up to an hour. */
export function expiryRetryDelayMs(firstMs: number, attempt: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempt - 1), Math.max(LONGEST_EXPIRY_RETRY_MS, firstMs));
}
