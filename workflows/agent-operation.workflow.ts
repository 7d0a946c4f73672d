/**
 * One step (or a short sequence) on this agent's runtime, asked by another LM through the internal API
 * (`service-instance-int`, spec/original-lm.md §7.2 (15)(16)). It runs the same idempotent runtime
 * activities as an instance's own agents, on this agent's task queue, so the call is retried and visible.
 */
import * as wf from '@temporalio/workflow';
import type { RuntimeActivities } from '../activities/runtime/runtime-activities';
import type { DeployedWorkload, WorkloadRef } from '../activities/runtime/workload';
import { NON_RETRYABLE_FAILURES } from './model/failures';

export type AgentStep = 'deploy' | 'start' | 'stop' | 'remove';

export interface AgentOperationInput {
  taskQueue: string;
  agentTimeoutMs: number;
  steps: AgentStep[];
  /** For a deploy, `container_id` is "-" and the result fills it. */
  ref: WorkloadRef;
}

export async function agentOperationWorkflow(input: AgentOperationInput): Promise<DeployedWorkload> {
  const acts = wf.proxyActivities<RuntimeActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '10 minutes',
    scheduleToStartTimeout: input.agentTimeoutMs,
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
  });
  let ref = input.ref;
  for (const step of input.steps) {
    if (step === 'deploy') ref = { ...ref, ...(await acts.deployWorkload(ref)) };
    else if (step === 'start') await acts.startWorkload(ref);
    else if (step === 'stop') await acts.stopWorkload(ref);
    else await acts.removeWorkload(ref);
  }
  return { container_id: ref.container_id, ports: ref.ports, agent_param: ref.agent_param };
}
