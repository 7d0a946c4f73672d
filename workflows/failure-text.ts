/** One readable sentence for a failed activity: what went wrong, in terms the API user can act on. */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';

export function describeFailure(err: unknown, queue: string): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return cause.message;
  if (cause instanceof TimeoutFailure) {
    if (cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
      return `no LM worker took the task from queue ${queue}: the agent's LM is down or not connected to this Temporal cluster`;
    }
    return `the agent's LM did not finish in time (${cause.timeoutType ?? 'timeout'}) on queue ${queue}`;
  }
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
