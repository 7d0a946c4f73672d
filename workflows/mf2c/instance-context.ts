/** What the mF2C steps of the workflow share with it: the input, the state and the recording helpers. */
import type { InstanceState, ServiceInstanceInput } from '../model/input';
import type { AgentEntry, ServiceInstance, TimelineOutcome } from '../model/instance';
import type { PeerState } from '../model/peers';

export interface InstanceContext {
  input: ServiceInstanceInput;
  state: InstanceState;
  inst: ServiceInstance;
  record(step: string, outcome: TimelineOutcome, message: string, agent?: string): void;
  /** Search attributes, memo, and (mF2C) the CIMI mirror. */
  publish(): void;
  peerState(): PeerState;
}

/** The per-agent steps of the workflow, for the steps that add or remove agents later (QoS). */
export interface AgentSteps {
  startAgent(index: number): Promise<boolean>;
  stopAgent(index: number): Promise<boolean>;
  removeAgent(index: number): Promise<boolean>;
  newAgent(url: string): AgentEntry;
}

/** True while some agent runs: what UM's `apps_running` and the SLA agreement follow. */
export function isRunning(inst: ServiceInstance): boolean {
  return inst.agents.some((agent) => agent.status === 'started');
}
