/** Bounded polling for runtimes that converge on their own (swarm tasks, Kubernetes rollouts). */

export type PollStep<T> = { done: true; value: T } | { done: false; seen: string };

export type PollOutcome<T> = { settled: true; value: T } | { settled: false; lastSeen: string };

export interface PollOptions {
  timeoutMs: number;
  everyMs: number;
}

/**
 * Calls `check` until it reports done or `timeoutMs` has passed; the caller words the timeout from what was
 * last seen. An exception from `check` (an already classified failure) ends the polling at once.
 */
export async function pollUntil<T>(check: () => Promise<PollStep<T>>, { timeoutMs, everyMs }: PollOptions): Promise<PollOutcome<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const step = await check();
    if (step.done) return { settled: true, value: step.value };
    if (Date.now() >= deadline) return { settled: false, lastSeen: step.seen };
    await sleep(Math.min(everyMs, Math.max(0, deadline - Date.now())));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
