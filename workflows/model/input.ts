/** What starts a service-instance workflow, and what a continued run carries over (plain JSON). */
import type { ServiceInstance, TimelineEntry } from './instance';
import type { Service } from './service';

export interface AgentRequest {
  agent_ip: string;
}

export interface WorkflowSettings {
  /** How long an agent's queue may go unpolled before its agent counts as unreachable. */
  agentTimeoutMs: number;
  /** Compensate (remove) the deployed agents when any agent fails, instead of running `degraded`. */
  allOrNothing: boolean;
}

export interface InstanceState {
  instance: ServiceInstance;
  timeline: TimelineEntry[];
  /** Entries dropped from the front of the timeline to keep the state small. */
  timelineDropped: number;
  /** Keys of notifications already handled, newest last. */
  seenNotifications: string[];
}

export interface ServiceInstanceInput {
  uuid: string;
  service: Service;
  user: string;
  slaTemplate: string | null;
  agents: AgentRequest[];
  device: { id: string; ip: string };
  settings: WorkflowSettings;
  /** Present in a continued run: the state of the previous run. */
  state?: InstanceState;
}
