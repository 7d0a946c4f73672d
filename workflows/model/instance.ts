/** The service-instance document (the original's `service_instance`, spec/original-lm.md §4.2–§4.3). */
import type { AgentStatus, InstanceStatus } from './status';
import type { ExecType } from './service';

/** One agent entry of an instance; field names are the original's, plus `name` and `error`. */
export interface AgentEntry {
  url: string;
  device_id: string;
  app_type: ExecType;
  ports: number[];
  status: AgentStatus;
  container_id: string;
  compss_app_id: string;
  allow: boolean;
  master_compss: boolean;
  agent_param: string;
  /** Deterministic workload name on the agent (container, swarm service, stack, deployment). */
  name: string;
  /** Why the agent is in an error status; null when it is not. */
  error: string | null;
}

export interface ServiceInstance {
  /** `service-instance/<uuid>`: also the Temporal workflow id. */
  id: string;
  user: string;
  device_id: string;
  device_ip: string;
  parent_device_id: string;
  parent_device_ip: string;
  /** The service id, or its name for an inline service without id. */
  service: string;
  service_name: string;
  agreement: string;
  status: InstanceStatus;
  service_type: ExecType;
  created: string;
  updated: string;
  agents: AgentEntry[];
  /** The last failure that made the instance `error` or `degraded`; null otherwise. */
  error: string | null;
  /** Why the SLA agreement could not be created, started, stopped or terminated; absent or null when fine. */
  agreement_error?: string | null;
  /** When the instance terminates itself (submitted with `expires_in`); absent: never. */
  expires_at?: string;
}

export type TimelineOutcome = 'ok' | 'failed' | 'info' | 'rejected';

/** One step of an instance's life, served by `GET …/<uuid>/timeline`. */
export interface TimelineEntry {
  at: string;
  step: string;
  outcome: TimelineOutcome;
  agent?: string;
  message?: string;
}

export const INSTANCE_ID_PREFIX = 'service-instance/';

export function instanceIdOf(uuid: string): string {
  return `${INSTANCE_ID_PREFIX}${uuid}`;
}

export function uuidOf(instanceId: string): string {
  return instanceId.startsWith(INSTANCE_ID_PREFIX) ? instanceId.slice(INSTANCE_ID_PREFIX.length) : instanceId;
}

/** Agent identity inside an instance: the same IP may appear twice, so the index is part of it. */
export function agentLabel(agent: Pick<AgentEntry, 'url'>, index: number): string {
  return `${agent.url}#${index}`;
}

/**
 * Deterministic workload name for agent `index` of an instance: a retried deploy finds what the
 * first attempt made. Valid as a container, swarm service, compose project suffix and DNS-1035 name.
 */
export function workloadName(uuid: string, index: number): string {
  return `lm-${uuid}-${index}`;
}

/** Timeline entries are numbered from the instance's first (0); the oldest are dropped past the last 500. */
export interface TimelinePage {
  /** The entries numbered `since` and after, that are still kept. */
  entries: TimelineEntry[];
  /** The number of the next entry: pass it as `since` to get only what comes after. */
  next: number;
  /** The instance's status when the page was read. */
  status: InstanceStatus;
  /** The instance has ended (terminated, forwarded to the leader, or not placed): no entry will follow. */
  ended: boolean;
}
