/**
 * Standalone placement (DESIGN §10): where an instance submitted without `agents_list` runs. Pure, so the API
 * (which decides at submit), the workflow (which records the verdicts) and the unit tests share it.
 *
 * The rule: the candidates are the cluster's agents that are alive and offer the exec type's runtime; they are
 * ranked by how many live instances already have agents on them (fewest first; ties broken by a hash of the
 * instance id and the agent, so instances submitted together spread too) and the first `n` are chosen, where
 * `n` is `num_agents` for docker and compss (1 when unspecified) and 1 for the others (their swarm or cluster
 * places the replicas). With no candidate at all, one agent goes to this LM's own agent, as a single-machine
 * LM always did; more than the candidates is refused.
 */
import { runtimeOf, type AgentRuntime, type RuntimeAvailability } from './agents';
import { NUM_AGENTS_UNSPECIFIED, type ExecType } from './service';

export interface PlacementCandidate {
  ip: string;
  alive: boolean;
  /** Why it is not alive. */
  reason: string | null;
  /** When `alive` last changed. */
  since: string | null;
  /** Its report of the runtime the service needs; null before its LM reported. */
  runtime: RuntimeAvailability | null;
  /** Live instances with an agent there. */
  load: number;
}

export interface PlacementVerdict {
  ip: string;
  chosen: boolean;
  reason: string;
}

export interface PlacementRecord {
  rule: string;
  verdicts: PlacementVerdict[];
}

export type Placement = ({ kind: 'placed'; agents: string[] } | { kind: 'not-enough'; message: string }) & PlacementRecord;

/** Agents a refusal names, at most. */
const MESSAGE_AGENTS = 5;

export function agentsWanted(execType: ExecType, numAgents: number): number {
  if (execType !== 'docker' && execType !== 'compss') return 1;
  return numAgents === NUM_AGENTS_UNSPECIFIED || numAgents <= 0 ? 1 : numAgents;
}

/** FNV-1a: a stable, well-spread number for a string. */
function spreadHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function instances(load: number): string {
  return `${load} live instance${load === 1 ? '' : 's'} there`;
}

function refusal(candidate: PlacementCandidate, runtime: AgentRuntime): string | null {
  if (!candidate.alive) return `not alive: ${candidate.reason ?? 'its LM does not answer'}`;
  if (candidate.runtime === null) return 'its LM has not reported its runtimes yet';
  if (!candidate.runtime.available) return `does not offer ${runtime}: ${candidate.runtime.message}`;
  return null;
}

export function placeInstance(
  execType: ExecType,
  numAgents: number,
  candidates: readonly PlacementCandidate[],
  instanceUuid: string,
  localIp: string,
): Placement {
  const runtime = runtimeOf(execType);
  const wanted = agentsWanted(execType, numAgents);
  const rule = `${wanted} live agent(s) offering ${runtime} for ${execType}, fewest live instances first`;
  const refused = new Map(candidates.map((c) => [c.ip, refusal(c, runtime)]));
  const eligible = candidates
    .filter((c) => refused.get(c.ip) === null)
    .sort((a, b) => a.load - b.load || spreadHash(`${instanceUuid}/${a.ip}`) - spreadHash(`${instanceUuid}/${b.ip}`));
  const chosen = new Set(eligible.slice(0, wanted).map((c) => c.ip));
  const verdicts: PlacementVerdict[] = candidates.map((c) => {
    const why = refused.get(c.ip);
    if (why !== null && why !== undefined) return { ip: c.ip, chosen: false, reason: why };
    if (chosen.has(c.ip)) return { ip: c.ip, chosen: true, reason: `chosen: alive, offers ${runtime}, ${instances(c.load)}` };
    return { ip: c.ip, chosen: false, reason: `not chosen: ${instances(c.load)}; agents with fewer were` };
  });
  if (eligible.length === 0 && wanted === 1) {
    const reason = `no live agent offers ${runtime}: deploying on this LM's own agent, as a single-machine LM does`;
    return {
      kind: 'placed',
      agents: [localIp],
      rule,
      verdicts: [...verdicts.filter((v) => v.ip !== localIp), { ip: localIp, chosen: true, reason }],
    };
  }
  if (eligible.length < wanted) {
    // The reachable agents first, then those lost most recently: agents gone long ago would hide them.
    const candidateOf = new Map(candidates.map((c) => [c.ip, c]));
    const rank = (v: PlacementVerdict): [number, number] => {
      const c = candidateOf.get(v.ip);
      return [c?.alive === false ? 1 : 0, -Date.parse(c?.since ?? '') || 0];
    };
    const refusedFirst = verdicts.filter((v) => !v.chosen).sort((a, b) => rank(a)[0] - rank(b)[0] || rank(a)[1] - rank(b)[1]);
    const why = refusedFirst.slice(0, MESSAGE_AGENTS).map((v) => `${v.ip}: ${v.reason}`);
    if (refusedFirst.length > MESSAGE_AGENTS) why.push(`${refusedFirst.length - MESSAGE_AGENTS} more: GET /api/v2/lm/agents`);
    return {
      kind: 'not-enough',
      rule,
      verdicts,
      message:
        `num_agents ${wanted} needs ${wanted} live agents offering ${runtime}, the cluster has ${eligible.length}` +
        `${why.length > 0 ? ` (${why.join('; ')})` : ''}: start more agents (scripts/start.sh agent), lower num_agents, or name the agents in agents_list`,
    };
  }
  // In rank order: the first chosen is the COMPSs master.
  return { kind: 'placed', agents: eligible.slice(0, wanted).map((c) => c.ip), rule, verdicts };
}
