/**
 * The selection rule of spec/original-lm.md §8.4: which of the agents left after the filters run the service,
 * by exec_type and num_agents. Pure, so the workflow and the unit tests share it.
 */
import { NUM_AGENTS_UNSPECIFIED, type ExecType } from './service';

export type SelectionResult = { kind: 'selected'; agents: string[]; rule: string } | { kind: 'not-enough'; rule: string };

/** `candidates` are agent IPs in preference order (the Recommender's, or `agents_list`'s), already filtered. */
export function selectAgents(execType: ExecType, numAgents: number, candidates: readonly string[], localIp: string): SelectionResult {
  const unspecified = numAgents === NUM_AGENTS_UNSPECIFIED || numAgents <= 0;
  const notEnough = (rule: string): SelectionResult => ({ kind: 'not-enough', rule });
  const first = (count: number, rule: string): SelectionResult => ({ kind: 'selected', agents: candidates.slice(0, count), rule });
  if (candidates.length === 0) return notEnough('no agent is left after the filters');
  switch (execType) {
    case 'compss':
      if (unspecified) return first(candidates.length, 'compss without num_agents: every agent');
      if (numAgents === 1 && candidates.includes(localIp)) {
        return { kind: 'selected', agents: [localIp], rule: 'compss with num_agents 1: the local agent' };
      }
      if (candidates.length >= numAgents) return first(numAgents, `compss: the first ${numAgents} agent(s)`);
      return notEnough(`compss needs ${numAgents} agent(s), ${candidates.length} available`);
    case 'docker':
      if (unspecified) return first(1, 'docker without num_agents: the first agent');
      if (candidates.length >= numAgents) return first(numAgents, `docker: the first ${numAgents} agent(s)`);
      return notEnough(`docker needs ${numAgents} agent(s), ${candidates.length} available`);
    case 'docker-compose':
      return first(1, 'docker-compose: the first agent');
    case 'docker-swarm':
    case 'docker-compose-swarm':
      return first(1, `${execType}: the first agent (a swarm manager; the swarm places the replicas)`);
    case 'kubernetes':
      return first(1, 'kubernetes: the first agent (its cluster places the replicas)');
  }
}
