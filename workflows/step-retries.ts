/**
 * Retries a runtime step attempt by attempt in the workflow, rather than inside one Temporal activity: the
 * SDK gives an activity no access to its previous attempt's failure, and Temporal's own retries are invisible
 * to the workflow until the last one fails. Here every failed attempt is known, so the instance can say what
 * it is retrying and why; the waits are workflow timers, so a terminate cancels them at once.
 */
import * as wf from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { WorkflowRetryPolicy } from './activity-options';

/** What a failed attempt leaves for the user: the attempt that failed and when the next one starts. */
export interface RetryNote {
  attempt: number;
  error: unknown;
  nextDelayMs: number;
}

function causeOf(err: unknown): unknown {
  return err instanceof wf.ActivityFailure ? err.cause : err;
}

/** False when another attempt cannot help: the runtime refused for good, or no worker ever took the task. */
export function worthRetrying(err: unknown, policy: WorkflowRetryPolicy): boolean {
  if (wf.isCancellation(err)) return false;
  const cause = causeOf(err);
  if (cause instanceof wf.ApplicationFailure) return !cause.nonRetryable && !policy.nonRetryableErrorTypes.includes(cause.type ?? '');
  // A queue nobody polls means the agent's LM is away: Temporal never retried that either.
  if (cause instanceof wf.TimeoutFailure) return cause.timeoutType !== TimeoutType.SCHEDULE_TO_START;
  return true;
}

/** True when the attempt cannot have reached the runtime: no worker took it. */
export function neverStarted(err: unknown): boolean {
  const cause = causeOf(err);
  return cause instanceof wf.TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the policy gives up (the last failure is thrown).
 * `onRetry` hears of each failure that is retried, before the wait. `takerAlive`, when given, is asked after an
 * attempt no worker took: true (the worker lives, it is only busy) makes that attempt worth another one too.
 */
export async function retryInWorkflow<T>(
  policy: WorkflowRetryPolicy,
  attempt: (n: number) => Promise<T>,
  onRetry: (note: RetryNote) => void,
  takerAlive?: () => Promise<boolean>,
): Promise<T> {
  const started = Date.now();
  let delayMs = policy.firstDelayMs;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (err) {
      const again = worthRetrying(err, policy) || (takerAlive !== undefined && neverStarted(err) && (await takerAlive()));
      if (!again || Date.now() + delayMs - started > policy.giveUpAfterMs) throw err;
      onRetry({ attempt: n, error: err, nextDelayMs: delayMs });
      await wf.sleep(delayMs);
      delayMs = Math.min(delayMs * policy.backoffCoefficient, policy.maximumDelayMs);
    }
  }
}
