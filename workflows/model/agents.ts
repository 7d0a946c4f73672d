/**
 * The agents of one cluster (DESIGN §10): every LM that serves an agent queue keeps a small presence record
 * of its agent in a workflow of its own (`lm-agent/<ip>`). What the record says, what instances are told
 * when an agent is lost or back, and which runtime each exec type needs. Plain JSON types and pure helpers.
 */
import type { ExecType } from './service';

/** `full`: the LM orchestrates instances and runs workloads (scripts/start.sh); `agent`: it only runs workloads. */
export const AGENT_ROLES = ['full', 'agent'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

/** What an agent can offer: its Docker engine, a swarm manager on that engine, a Kubernetes cluster. */
export const AGENT_RUNTIMES = ['docker', 'swarm', 'kubernetes'] as const;
export type AgentRuntime = (typeof AGENT_RUNTIMES)[number];

export interface RuntimeAvailability {
  available: boolean;
  /** What the agent's LM found: the engine's version, or why the runtime cannot be used. */
  message: string;
}

export type AgentRuntimes = Record<AgentRuntime, RuntimeAvailability>;

/** The LM process that serves an agent's queue, as it introduced itself. */
export interface AgentLm {
  role: AgentRole;
  /** The workers' Temporal identity: `<pid>@<host> …`, as DescribeTaskQueue lists its pollers. */
  identity: string;
  host: string;
  pid: number;
  startedAt: string;
  /** Where its REST API listens; null when it runs none (LM_AGENT_API=false). */
  apiPort: number | null;
  /** Its LM_AGENT_LOST_S, in ms: how long it may be silent before it counts as lost. */
  lostAfterMs: number;
}

export interface AgentRecord {
  ip: string;
  /** Its LM answers now. */
  alive: boolean;
  /** When `alive` last changed (or the record was made). */
  since: string;
  /** Why the agent is not alive; null while it is. */
  reason: string | null;
  /** When its LM last reported (its presence check returned). */
  lastSeen: string | null;
  /** Null until its LM first reported them. */
  runtimes: AgentRuntimes | null;
  lm: AgentLm | null;
}

/** What the instances with agents on `ip` are told when it is lost or back. */
export interface AgentPresence {
  ip: string;
  alive: boolean;
  reason: string | null;
  since: string;
  /** Grows with every announcement of this agent (ms of workflow time): an instance drops one older than what it knows. */
  epoch: number;
}

/** What an agent's presence check returns: the agent is here (with its runtimes), or its LM is stopping. */
export interface PresenceReport {
  leaving: boolean;
  runtimes: AgentRuntimes;
}

export const AGENT_WORKFLOW_PREFIX = 'lm-agent/';

export function agentWorkflowId(ip: string): string {
  return `${AGENT_WORKFLOW_PREFIX}${ip}`;
}

export function newAgentRecord(ip: string, now: string): AgentRecord {
  return { ip, alive: false, since: now, reason: 'its LM has not reported yet', lastSeen: null, runtimes: null, lm: null };
}

/** The runtime an exec type runs on. */
export function runtimeOf(execType: ExecType): AgentRuntime {
  switch (execType) {
    case 'docker':
    case 'compss':
    case 'docker-compose':
      return 'docker';
    case 'docker-swarm':
    case 'docker-compose-swarm':
      return 'swarm';
    case 'kubernetes':
      return 'kubernetes';
  }
}

/** Exec types an agent with these runtimes can run now. */
export function execTypesOffered(runtimes: AgentRuntimes | null, supported: readonly ExecType[]): ExecType[] {
  if (runtimes === null) return [];
  return supported.filter((execType) => runtimes[runtimeOf(execType)].available);
}

/** Equal runtime reports (the presence check returns early only when something changed). */
export function sameRuntimes(a: AgentRuntimes | null, b: AgentRuntimes | null): boolean {
  if (a === null || b === null) return a === b;
  return AGENT_RUNTIMES.every((r) => a[r].available === b[r].available && a[r].message === b[r].message);
}
