/**
 * Proxies of the orchestration activities (activities/orchestration-activities.ts) with the retry policy
 * each kind of call needs. They run on the workflow queue, where the instance is orchestrated.
 */
import * as wf from '@temporalio/workflow';
import type { OrchestrationActivities } from '../../activities/orchestration-activities';
import type { CapabilityActivities } from '../../activities/agent-capabilities';
import { NON_RETRYABLE_FAILURES } from '../model/failures';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../model/task-queues';

const RETRY: wf.RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURES };

/** Idempotent reads and state-setting writes (CIMI PUT, SLA start/stop, checks): retried, bounded. */
export const peerCalls = wf.proxyActivities<OrchestrationActivities>({
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  retry: { ...RETRY, maximumAttempts: 5 },
});

/** Selection checks: a slow or silent agent must not hold the submit for long. */
export const checkCalls = wf.proxyActivities<OrchestrationActivities>({
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  retry: { ...RETRY, maximumAttempts: 3 },
});

/**
 * Calls a peer applies on every receipt (UM ±1, agreement creation, remote deploy, leader forward): ONE
 * attempt per activity, so Temporal never resends one whose outcome it cannot know (a worker killed after
 * sending it). The workflow resends only what provably was not applied (see send-once.ts).
 */
export const onceCalls = wf.proxyActivities<OrchestrationActivities>({
  taskQueue: WORKFLOW_TASK_QUEUE,
  // Short, so a worker lost mid-call is noticed soon; the HTTP call itself times out first (LM_HTTP_TIMEOUT_MS).
  startToCloseTimeout: '20 seconds',
  scheduleToStartTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/** A remote deploy may pull an image on the remote agent: same single attempt, a longer bound. */
export const remoteDeployOnce = wf.proxyActivities<OrchestrationActivities>({
  taskQueue: WORKFLOW_TASK_QUEUE,
  startToCloseTimeout: '5 minutes',
  scheduleToStartTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/** An agent's capabilities, asked on its own queue (its LM answers for its own runtimes). */
export function capabilityCalls(agentIp: string, agentTimeoutMs: number): CapabilityActivities {
  return wf.proxyActivities<CapabilityActivities>({
    taskQueue: agentTaskQueue(agentIp),
    startToCloseTimeout: '30 seconds',
    scheduleToStartTimeout: agentTimeoutMs,
    retry: { ...RETRY, maximumAttempts: 2 },
  });
}
