/**
 * Makes an mF2C submit with an `Idempotency-Key` happen once. There the instance id is CIMI's, known only
 * after CIMI has made the resource, so the key cannot name the instance as it does in standalone mode.
 * Instead the key names this small workflow (`submission/<hash>`): the first submit starts it, creates the
 * CIMI resource and the instance, then tells it the instance; a retried or concurrent submit finds it
 * started and waits for its result. A submit that fails gives the key up (the claim fails, so its id may
 * be used again); one that never reports back loses the claim after a deadline.
 */
import * as wf from '@temporalio/workflow';
import { FailureType } from './model/failures';

export const claimResolvedSignal = wf.defineSignal<[string]>('claim-resolved');
export const claimAbandonedSignal = wf.defineSignal<[string]>('claim-abandoned');

/** Longer than any submit takes (CIMI, selection, the workflow start); then a retry may claim the key anew. */
const CLAIM_DEADLINE = '10 minutes';

/** Resolves to the uuid of the instance the submit made. */
export async function submissionClaimWorkflow(): Promise<string> {
  let uuid: string | null = null;
  let abandoned: string | null = null;
  wf.setHandler(claimResolvedSignal, (made) => {
    uuid ??= made;
  });
  wf.setHandler(claimAbandonedSignal, (why) => {
    abandoned ??= why;
  });
  const settled = await wf.condition(() => uuid !== null || abandoned !== null, CLAIM_DEADLINE);
  if (uuid !== null) return uuid;
  throw wf.ApplicationFailure.create({
    type: FailureType.PeerRejected,
    nonRetryable: true,
    message: settled
      ? `the submit with this Idempotency-Key failed: ${abandoned}`
      : 'the submit with this Idempotency-Key did not finish in time',
  });
}
