/**
 * Proxies of the orchestration activities (activities/orchestration-activities.ts), one per policy of
 * activity-options.ts. They run on the workflow queue, where the instance is orchestrated.
 */
import * as wf from '@temporalio/workflow';
import type { OrchestrationActivities } from '../../activities/orchestration-activities';
import type { CapabilityActivities } from '../../activities/agent-capabilities';
import {
  AT_MOST_ONCE_PEER_CALL,
  AT_MOST_ONCE_REMOTE_DEPLOY,
  CAPABILITY_PROBE,
  IDEMPOTENT_PEER_CALL,
  onAgentQueue,
  PEER_CHECK,
} from '../activity-options';

/** Idempotent reads and state-setting writes (CIMI PUT, SLA start/stop, checks). */
export const peerCalls = wf.proxyActivities<OrchestrationActivities>(IDEMPOTENT_PEER_CALL);

/** Selection checks. */
export const checkCalls = wf.proxyActivities<OrchestrationActivities>(PEER_CHECK);

/** Calls a peer applies on every receipt (UM ±1, agreement creation, leader forward): see send-once.ts. */
export const onceCalls = wf.proxyActivities<OrchestrationActivities>(AT_MOST_ONCE_PEER_CALL);

export const remoteDeployOnce = wf.proxyActivities<OrchestrationActivities>(AT_MOST_ONCE_REMOTE_DEPLOY);

/** An agent's capabilities, asked on its own queue (its LM answers for its own runtimes). */
export function capabilityCalls(agentIp: string, agentTimeoutMs: number): CapabilityActivities {
  return wf.proxyActivities<CapabilityActivities>(onAgentQueue(CAPABILITY_PROBE, agentIp, agentTimeoutMs));
}
