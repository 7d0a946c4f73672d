/**
 * At-most-once calls with safe resends, for calls a peer applies on every receipt. Each attempt is its own
 * single-attempt activity; the workflow resends only when the failure proves the peer did not apply it
 * (PeerUnavailable: refused before sending, or the peer's own 5xx) or no worker ever took it
 * (schedule-to-start timeout). A timeout while running (a worker killed after sending), PeerOutcomeUnknown,
 * or anything unexpected is "unknown": never resent, the caller decides what it means.
 */
import * as wf from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import { describeFailure } from '../failure-text';
import { FailureType } from '../model/failures';
import { WORKFLOW_TASK_QUEUE } from '../model/task-queues';

export type OnceResult<T> =
  | { kind: 'ok'; value: T; attempts: number }
  /** The peer refused it (4xx): it was not applied and resending would not help. */
  | { kind: 'rejected'; message: string }
  /** Every attempt provably failed before being applied. */
  | { kind: 'not-applied'; message: string }
  /** It may have been applied. */
  | { kind: 'unknown'; message: string };

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15_000;

function causeOf(err: unknown): unknown {
  return err instanceof wf.ActivityFailure ? err.cause : err;
}

function provablyNotApplied(err: unknown): boolean {
  const cause = causeOf(err);
  if (cause instanceof wf.ApplicationFailure) return cause.type === FailureType.PeerUnavailable;
  return cause instanceof wf.TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

function rejected(err: unknown): boolean {
  const cause = causeOf(err);
  return cause instanceof wf.ApplicationFailure && (cause.type === FailureType.PeerRejected || cause.type === FailureType.NotSupported);
}

/** `queue`: where the attempts run, for the messages. */
export async function sendOnce<T>(attempt: () => Promise<T>, maxAttempts = 6, queue = WORKFLOW_TASK_QUEUE): Promise<OnceResult<T>> {
  let delay = FIRST_DELAY_MS;
  for (let n = 1; ; n += 1) {
    try {
      return { kind: 'ok', value: await attempt(), attempts: n };
    } catch (err) {
      // Cancelled before it was sent (or it stopped when told to): the caller is being preempted, not answered.
      if (wf.isCancellation(err)) throw err;
      const message = describeFailure(err, queue);
      if (rejected(err)) return { kind: 'rejected', message };
      if (!provablyNotApplied(err)) return { kind: 'unknown', message };
      if (n >= maxAttempts) return { kind: 'not-applied', message: `${message} (${n} attempts)` };
      await wf.sleep(delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
