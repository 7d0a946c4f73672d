/** The ApplicationFailure a call must end with (the test fails if it succeeds or fails otherwise). */
import { ApplicationFailure } from '@temporalio/common';

export async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => {
      throw new Error('expected a failure, the call succeeded');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}
