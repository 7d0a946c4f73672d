/** The service a user submits: what to run and how (spec/original-lm.md §4.1). */

export const EXEC_TYPES = ['docker', 'compss', 'docker-compose', 'docker-swarm', 'docker-compose-swarm', 'kubernetes'] as const;
export type ExecType = (typeof EXEC_TYPES)[number];

/** The original LM spelled Kubernetes `K8s`; CIMI spells it `kubernetes`. Both are accepted. */
export const EXEC_TYPE_ALIASES: Readonly<Record<string, ExecType>> = { K8s: 'kubernetes' };

export const AGENT_TYPES = ['normal', 'micro', 'cloud'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

/** `num_agents` missing or 0 in the original means "not specified". */
export const NUM_AGENTS_UNSPECIFIED = -1;

export interface Service {
  id?: string;
  name: string;
  description?: string;
  exec: string;
  exec_type: ExecType;
  exec_ports: number[];
  category: number;
  num_agents: number;
  agent_type: AgentType;
}

/** Exec types whose containers are managed one per agent by the local Docker engine. */
export function isContainerExecType(execType: ExecType): boolean {
  return execType === 'docker' || execType === 'compss';
}
