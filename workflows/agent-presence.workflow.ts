/**
 * The presence workflow of one agent (`lm-agent/<ip>`): started (or told) by the agent's LM at every start, it
 * keeps the agent's record and tells its instances when the agent is lost or back (agent-presence.ts).
 */
import * as wf from '@temporalio/workflow';
import { AgentPresenceEntity, type AgentPresenceInput } from './agent-presence';
import type { AgentLm, AgentRecord } from './model/agents';

/** A LM process introduces itself: sent with signal-with-start at every start of an agent's LM. */
export const agentHelloSignal = wf.defineSignal<[AgentLm]>('agent-hello');

/**
 * A LM process is stopping (SIGTERM, Ctrl-C), with its worker identity: sent even while no presence check runs
 * on it, so a stop in its first moments is not taken for a loss.
 */
export const agentLeavingSignal = wf.defineSignal<[string]>('agent-leaving');

export const agentRecordQuery = wf.defineQuery<AgentRecord>('agent');

export async function agentPresenceWorkflow(input: AgentPresenceInput): Promise<AgentRecord> {
  const agent = new AgentPresenceEntity(input);
  wf.setHandler(agentHelloSignal, (lm) => agent.hello(lm));
  wf.setHandler(agentLeavingSignal, (identity) => agent.leaving(identity));
  wf.setHandler(agentRecordQuery, () => agent.agent());
  return agent.run();
}
