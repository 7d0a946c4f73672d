/** What starts a service-instance workflow, and what a continued run carries over (plain JSON). */
import type { ServiceInstance, TimelineEntry } from './instance';
import type { PeerState, PeerSwitches, Mf2cContext } from './peers';
import type { Service } from './service';

export interface AgentRequest {
  agent_ip: string;
}

export interface WorkflowSettings {
  /** How long an agent's queue may go unpolled before its agent counts as unreachable. */
  agentTimeoutMs: number;
  /** Compensate (remove) the deployed agents when any agent fails, instead of running `degraded`. */
  allOrNothing: boolean;
  /**
   * How often a settled instance compares its agents with what the runtime reports; 0 or absent (instances
   * started before this setting existed, whose histories must replay unchanged): never.
   */
  observeIntervalMs?: number;
  /** The instance terminates itself this long after it was submitted; absent: never. */
  expiresInMs?: number;
  /** With an expiry: the first wait before an incomplete terminate at expiry is tried again (doubling, up to an hour). */
  expiryRetryMs?: number;
}

export interface InstanceState {
  instance: ServiceInstance;
  timeline: TimelineEntry[];
  /** Entries dropped from the front of the timeline to keep the state small. */
  timelineDropped: number;
  /** Keys of the notifications being handled (identical ones arriving meanwhile are merged), newest last. */
  seenNotifications: string[];
  /** What the instance holds at its mF2C peers (UM count, SLA agreement, agent routes); absent without peers. */
  peers?: PeerState;
}

export interface ServiceInstanceInput {
  uuid: string;
  service: Service;
  user: string;
  slaTemplate: string | null;
  agents: AgentRequest[];
  device: { id: string; ip: string };
  settings: WorkflowSettings;
  /** Peers this instance talks to; absent (standalone without peer URLs, recorded histories): none. */
  peers?: PeerSwitches;
  /** mF2C mode only: how agents are chosen and where a request goes when there are not enough. */
  mf2c?: Mf2cContext;
  /** Present in a continued run: the state of the previous run. */
  state?: InstanceState;
}
