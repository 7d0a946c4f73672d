/** Bounded polling for runtimes that converge on their own (swarm tasks, stacks, Kubernetes rollouts). */
import { abortableSleep, NEVER_ABORTED, throwIfAborted } from './cancellation';

export type PollStep<T> = { done: true; value: T } | { done: false; seen: string };

export type PollOutcome<T> = { settled: true; value: T } | { settled: false; lastSeen: string };

export interface PollOptions {
  timeoutMs: number;
  everyMs: number;
  /** The activity's cancellation: polling stops at once, with its reason. */
  signal?: AbortSignal;
}

/**
 * Calls `check` until it reports done or `timeoutMs` has passed; the caller words the timeout from what was
 * last seen. An exception from `check` (an already classified failure) ends the polling at once.
 */
export async function pollUntil<T>(
  check: () => Promise<PollStep<T>>,
  { timeoutMs, everyMs, signal = NEVER_ABORTED }: PollOptions,
): Promise<PollOutcome<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    throwIfAborted(signal);
    const step = await check();
    if (step.done) return { settled: true, value: step.value };
    if (Date.now() >= deadline) return { settled: false, lastSeen: step.seen };
    await abortableSleep(Math.min(everyMs, Math.max(0, deadline - Date.now())), signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortableSleep(ms, signal);
}
