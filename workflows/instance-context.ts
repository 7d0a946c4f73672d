/** What the steps of the workflow (core and mF2C) share with it: the input, the state and the recording helpers. */
import type { InstanceState, ServiceInstanceInput } from './model/input';
import type { ServiceInstance, TimelineOutcome } from './model/instance';
import type { PeerState } from './model/peers';

export interface InstanceContext {
  input: ServiceInstanceInput;
  state: InstanceState;
  inst: ServiceInstance;
  record(step: string, outcome: TimelineOutcome, message: string, agent?: string): void;
  /** Search attributes, memo, and (mF2C) the CIMI mirror. */
  publish(): void;
  peerState(): PeerState;
}

/** True while some agent runs: what UM's `apps_running` and the SLA agreement follow. */
export function isRunning(inst: ServiceInstance): boolean {
  return inst.agents.some((agent) => agent.status === 'started');
}
