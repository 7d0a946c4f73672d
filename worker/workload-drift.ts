/**
 * Whether what an instance last recorded of its agents on this agent (its memo) still matches their runtime: the
 * same rule the instance applies when it observes (workflows/model/observed-drift.ts), so the agent signals only an
 * instance whose observation will change something. Pure.
 */
import { refOfIdentity } from '../activities/runtime/labels';
import type { WorkloadRef } from '../activities/runtime/workload';
import { OBSERVED_IN, reconcileObserved } from '../workflows/model/observed-drift';
import { uuidOf, type ServiceInstance } from '../workflows/model/instance';
import type { AgentStatus } from '../workflows/model/status';

/** The indexes of the instance's agents on `agentIp` that hold a workload, when the instance is settled; none otherwise. */
export function settledAgentsHere(instance: ServiceInstance, agentIp: string): number[] {
  if (!OBSERVED_IN.includes(instance.status)) return [];
  return instance.agents.flatMap((agent, index) =>
    agent.url === agentIp && agent.container_id !== '-' && agent.status !== 'terminated' ? [index] : [],
  );
}

/** True when the runtime's `observed` status of agent `index` would change what the instance records. */
export function drifted(instance: ServiceInstance, index: number, observed: AgentStatus): boolean {
  const agent = instance.agents[index];
  return reconcileObserved(agent.status, observed, agent.name) !== null;
}

/** What a runtime needs to find agent `index`'s workload, from the instance document alone. */
export function refOfAgent(instance: ServiceInstance, index: number): WorkloadRef {
  const agent = instance.agents[index];
  const identity = {
    instanceUuid: uuidOf(instance.id),
    agentIndex: index,
    agentUrl: agent.url,
    serviceName: instance.service_name,
    execType: agent.app_type,
    home: null,
    forPeer: false,
  };
  return refOfIdentity(identity, agent.app_type, { container_id: agent.container_id, agent_param: agent.agent_param });
}
