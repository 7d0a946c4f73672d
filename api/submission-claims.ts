/**
 * mF2C submits with an `Idempotency-Key` (see workflows/submission-claim.workflow.ts): claim the key, or
 * learn the instance an earlier submit with it made; then resolve or give up the claim.
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { claimAbandonedSignal, claimResolvedSignal, submissionClaimWorkflow } from '../workflows/submission-claim.workflow';
import { WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import { conflict } from './api-error';

export type Claim = { claimed: true } | { claimed: false; uuid: string };

/** One takeover of a failed claim, then the answer is a 409: two failures in a row need a person. */
const CLAIM_ATTEMPTS = 2;

export class SubmissionClaims {
  constructor(private readonly client: Client) {}

  private workflowId(key: string): string {
    return `submission/${createHash('sha256').update(`lm-mf2c-submit:${key}`).digest('hex')}`;
  }

  /** Claimed: this submit goes ahead. Not claimed: an earlier one made `uuid` (waits while it is running). */
  async claim(key: string): Promise<Claim> {
    const workflowId = this.workflowId(key);
    let lastFailure = '';
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      try {
        // A failed claim may be taken over; a running or resolved one may not.
        await this.client.workflow.start(submissionClaimWorkflow, {
          workflowId,
          taskQueue: WORKFLOW_TASK_QUEUE,
          args: [],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        });
        return { claimed: true };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      try {
        return { claimed: false, uuid: await this.client.workflow.getHandle<typeof submissionClaimWorkflow>(workflowId).result() };
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        lastFailure = err.cause?.message ?? err.message;
      }
    }
    throw conflict(`${lastFailure}; retry the submit with this Idempotency-Key later, or with a new key`);
  }

  async resolve(key: string, uuid: string): Promise<void> {
    await this.client.workflow.getHandle(this.workflowId(key)).signal(claimResolvedSignal, uuid);
  }

  /** Best effort: a claim nobody resolves expires by itself. */
  async abandon(key: string, why: string): Promise<void> {
    await this.client.workflow
      .getHandle(this.workflowId(key))
      .signal(claimAbandonedSignal, why)
      .catch(() => undefined);
  }
}
