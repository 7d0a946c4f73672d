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
  /**
   * A runtime step (`key`: step and agent) failed and is retried in `nextDelayMs`: the Web UI's details say so
   * at once, the timeline at most once a minute per step.
   */
  showRetry(key: string, step: string, agent: string, message: string, nextDelayMs: number): void;
  /** The step `key` is no longer retrying (it succeeded, failed for good, or was cancelled). */
  clearRetry(key: string): void;
  /** Whether this run takes the change `patchId` (patches.ts): use it, not `wf.patched`, in the instance's code. */
  patched(patchId: string): boolean;
}

/** True while some agent runs: what UM's `apps_running` and the SLA agreement follow. */
export function isRunning(inst: ServiceInstance): boolean {
  return inst.agents.some((agent) => agent.status === 'started');
}
