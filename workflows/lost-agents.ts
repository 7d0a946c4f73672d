/**
 * An instance whose agent was lost (its LM silent for LM_AGENT_LOST_S, as its presence workflow announces):
 * the agents there become `unknown` with the reason, so the instance is `degraded`, never `started`; steps on
 * them say they wait for the agent; a terminate removes what it can and finishes once the agent is back; and
 * when it is back, its agents are observed again and settle to what really runs. Pure state helpers, plus the
 * patch that marks histories which follow agent presence.
 */
import type { InstanceContext } from './instance-context';
import type { InstanceState } from './model/input';
import type { AgentPresence } from './model/agents';
import { agentLabel, type AgentEntry } from './model/instance';

/** The agent at `ip` is lost now: its announcement, or undefined. */
export function lostAgent(state: InstanceState, ip: string): AgentPresence | undefined {
  return state.lostAgents?.[ip];
}

/** Keeps an announcement newer than what the instance knows of that agent; false when it is stale. */
export function rememberPresence(state: InstanceState, presence: AgentPresence): boolean {
  const epochs = (state.presenceEpochs ??= {});
  if ((epochs[presence.ip] ?? 0) >= presence.epoch) return false;
  epochs[presence.ip] = presence.epoch;
  const lost = (state.lostAgents ??= {});
  if (presence.alive) delete lost[presence.ip];
  else lost[presence.ip] = presence;
  return true;
}

export function lostReason(presence: AgentPresence): string {
  return `agent ${presence.ip} is lost since ${presence.since}: ${presence.reason ?? 'its LM does not answer'}`;
}

/** Has (or may have) something on its runtime that a lost agent keeps from the LM's sight. */
function holdsWorkload(agent: AgentEntry): boolean {
  return agent.container_id !== '-' && agent.status !== 'terminated';
}

/** Agents on lost agents become `unknown` with the reason; true when any changed. */
export function markLostAgents(ctx: InstanceContext): boolean {
  let changed = false;
  ctx.inst.agents.forEach((agent, index) => {
    const lost = lostAgent(ctx.state, agent.url);
    if (lost === undefined || !holdsWorkload(agent) || agent.status === 'unknown') return;
    agent.status = 'unknown';
    agent.error = `${lostReason(lost)}; ${agent.name} is observed again once its LM is back`;
    ctx.record('agent-lost', 'failed', `${agent.name}: ${agent.error}`, agentLabel(agent, index));
    changed = true;
  });
  return changed;
}

/** Agents left `unknown` on an agent that is back: they are to be observed again. */
export function backFromLost(ctx: InstanceContext): boolean {
  return ctx.inst.agents.some((agent) => agent.status === 'unknown' && lostAgent(ctx.state, agent.url) === undefined);
}
