/**
 * One step (or a short sequence) on this agent's runtime, asked by another LM through the internal API
 * (`service-instance-int`, spec/original-lm.md §7.2 (15)(16)). It runs the same idempotent runtime
 * activities as an instance's own agents, on this agent's task queue, so the call is retried and visible.
 */
import * as wf from '@temporalio/workflow';
import type { RuntimeActivities } from '../activities/runtime/runtime-activities';
import type { DeployedWorkload, WorkloadRef } from '../activities/runtime/workload';
import { OBSERVATION_PROBE, RUNTIME_EFFECT_FOR_PEER } from './activity-options';
import type { AgentStatus } from './model/status';

export type AgentStep = 'deploy' | 'start' | 'stop' | 'remove' | 'observe';

export interface AgentOperationInput {
  taskQueue: string;
  agentTimeoutMs: number;
  steps: AgentStep[];
  /** For a deploy, `container_id` is "-" and the result fills it. */
  ref: WorkloadRef;
}

/** Where the workload is after the steps (a start may have moved it to new ports); `observe`: what its runtime reports. */
export interface AgentOperationResult extends DeployedWorkload {
  status?: AgentStatus;
}

export async function agentOperationWorkflow(input: AgentOperationInput): Promise<AgentOperationResult> {
  const onQueue = { taskQueue: input.taskQueue, scheduleToStartTimeout: input.agentTimeoutMs };
  const acts = wf.proxyActivities<RuntimeActivities>({ ...RUNTIME_EFFECT_FOR_PEER, ...onQueue });
  const probe = wf.proxyActivities<RuntimeActivities>({ ...OBSERVATION_PROBE, ...onQueue });
  let ref = input.ref;
  let status: AgentStatus | undefined;
  for (const step of input.steps) {
    if (step === 'deploy') ref = { ...ref, ...(await acts.deployWorkload(ref)) };
    // A start that moved the workload to free ports says where it now is: the calling LM records that.
    else if (step === 'start') ref = { ...ref, ...((await acts.startWorkload(ref)) ?? {}) };
    else if (step === 'stop') await acts.stopWorkload(ref);
    else if (step === 'observe') status = await probe.observeWorkload(ref);
    else await acts.removeWorkload(ref);
  }
  return { container_id: ref.container_id, ports: ref.ports, agent_param: ref.agent_param, ...(status === undefined ? {} : { status }) };
}
