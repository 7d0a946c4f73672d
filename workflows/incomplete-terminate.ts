/**
 * A terminate that could not remove every workload (an agent unreachable, its runtime down) is tried again: by
 * the user's next DELETE, and for an expired instance by the instance itself, waiting longer after each try.
 */

/** LM_EXPIRY_RETRY_S's default, for instances submitted before the setting existed. */
export const DEFAULT_EXPIRY_RETRY_MS = 300_000;
const LONGEST_EXPIRY_RETRY_MS = 3_600_000;

/** The wait after the `attempt`th (1, 2, …) incomplete terminate at expiry: doubling from `firstMs`, up to an hour. */
export function expiryRetryDelayMs(firstMs: number, attempt: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempt - 1), Math.max(LONGEST_EXPIRY_RETRY_MS, firstMs));
}
