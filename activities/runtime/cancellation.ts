/**
 * How runtimes honour an activity's cancellation: the activity's AbortSignal reaches every wait, poll, child
 * process and Docker stream, and what it aborts ends with the signal's reason (the SDK's CancelledFailure), so
 * Temporal records the attempt as cancelled rather than failed.
 */
import { CancelledFailure } from '@temporalio/common';
import type { RuntimeCall } from './workload';

/** For calls outside an activity (tests, the reaper): never aborted. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new CancelledFailure('cancelled');
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortReason(signal);
}

/** Waits `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal = NEVER_ABORTED): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The call of a runtime method used outside an activity. */
export const DETACHED_CALL: RuntimeCall = { signal: NEVER_ABORTED };
