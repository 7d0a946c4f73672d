/**
 * What the instance does with a notification (`POST /api/v2/lm`, spec/original-lm.md §11), decided here:
 * - `qos_enforcement`: rescale to `num_agents`: add agents the Recommender offers (and tell the COMPSs master,
 *   `addResources`), or remove surplus agents from the end, never the master (`removeNode` first).
 * - `um_warning`: while UM reports this user's limits exceeded on an agent, the instance's agents on that agent
 *   are stopped. Nothing restarts them automatically; a later `start` does (and is stopped again if UM still warns).
 * - `sla_notification`: recorded on the timeline, no lifecycle change: SLA violations reach the LM as
 *   `qos_enforcement` from the Service Manager, which owns the reaction.
 * The caller serialises these with the operations and settles the instance afterwards.
 */
import { describeFailure } from '../failure-text';
import { agentLabel, type AgentEntry } from '../model/instance';
import { WORKFLOW_TASK_QUEUE } from '../model/task-queues';
import type { AgentSteps } from '../agent-steps';
import type { InstanceContext } from '../instance-context';
import { checkCalls, peerCalls } from './peer-proxies';

const VIOLATIONS = ['battery_limit_violation', 'max_apps_violation', 'resource_contributor_violation'];

function compssMaster(ctx: InstanceContext): AgentEntry | null {
  if (ctx.inst.service_type !== 'compss') return null;
  const master = ctx.inst.agents.find((a) => a.master_compss && a.status === 'started');
  return master !== undefined && master.compss_app_id !== '-' ? master : null;
}

/** COMPSs elasticity is best effort: the agent is added or removed either way, the timeline says what COMPSs did. */
async function tellCompss(ctx: InstanceContext, worker: AgentEntry, operation: 'addResources' | 'removeNode'): Promise<void> {
  const master = compssMaster(ctx);
  if (master === null || master === worker) return;
  const call = {
    master: { ip: master.url, port: master.ports[0] },
    appId: master.compss_app_id,
    worker: { ip: worker.url, port: worker.ports[0] },
  };
  try {
    if (operation === 'addResources') await peerCalls.addCompssResource(call);
    else await peerCalls.removeCompssNode(call);
    ctx.record('qos_enforcement', 'ok', `COMPSs master ${master.url}: ${operation} ${worker.url}`, worker.url);
  } catch (err) {
    ctx.record(
      'qos_enforcement',
      'failed',
      `COMPSs master ${master.url}: ${operation} ${worker.url} failed: ${describeFailure(err, WORKFLOW_TASK_QUEUE)}`,
      worker.url,
    );
  }
}

async function scaleOut(ctx: InstanceContext, steps: AgentSteps, target: number): Promise<void> {
  const { inst, input } = ctx;
  if (input.mf2c === undefined) {
    ctx.record('qos_enforcement', 'failed', 'cannot add agents: there is no Recommender in standalone mode');
    return;
  }
  let offered: string[];
  try {
    offered = await checkCalls.recommendAgents(input.service);
  } catch (err) {
    ctx.record('qos_enforcement', 'failed', `cannot add agents: ${describeFailure(err, WORKFLOW_TASK_QUEUE)}`);
    return;
  }
  const fresh = offered.filter((ip) => !inst.agents.some((agent) => agent.url === ip));
  ctx.record(
    'qos_enforcement',
    'info',
    `the Recommender offers ${offered.join(', ') || 'nothing'}; new to the instance: ${fresh.join(', ') || 'none'}`,
  );
  for (const ip of fresh) {
    if (inst.agents.length >= target) break;
    const index = inst.agents.length;
    inst.agents.push(steps.newAgent(ip));
    ctx.record('qos_enforcement', 'info', `adding agent ${ip}`, agentLabel(inst.agents[index], index));
    if (await steps.startAgent(index)) await tellCompss(ctx, inst.agents[index], 'addResources');
  }
  if (inst.agents.length < target) {
    ctx.record('qos_enforcement', 'failed', `only ${inst.agents.length} of ${target} agent(s): the Recommender offers no more`);
  }
}

async function scaleIn(ctx: InstanceContext, steps: AgentSteps, target: number): Promise<void> {
  const { inst } = ctx;
  for (let index = inst.agents.length - 1; index >= 0 && inst.agents.length > target; index -= 1) {
    const agent = inst.agents[index];
    if (agent.master_compss || index === 0) continue;
    await tellCompss(ctx, agent, 'removeNode');
    await steps.stopAgent(index);
    if ((await steps.removeAgent(index)) && agent.status === 'terminated') {
      inst.agents.splice(index, 1);
      ctx.record('qos_enforcement', 'ok', `removed agent ${agent.url}`, agentLabel(agent, index));
    }
  }
  if (inst.agents.length > target) {
    ctx.record('qos_enforcement', 'info', `${inst.agents.length} agent(s) remain: the master and failed removals are kept`);
  }
}

export async function rescale(ctx: InstanceContext, steps: AgentSteps, target: number): Promise<void> {
  const current = ctx.inst.agents.length;
  ctx.record('qos_enforcement', 'info', `rescaling from ${current} to ${target} agent(s)`);
  if (target > current) await scaleOut(ctx, steps, target);
  else if (target < current) await scaleIn(ctx, steps, target);
}

/** The violated limits a `um_warning` reports (only violated keys appear, spec/mf2c-peers.md §3.3). */
export function violationsOf(data: Record<string, unknown>): string[] {
  const result = data.result;
  if (typeof result !== 'object' || result === null) return [];
  return VIOLATIONS.filter((key) => (result as Record<string, unknown>)[key] === true);
}

/** Stops the agents on the warned agent; true when something was stopped. */
export async function reactToUmWarning(ctx: InstanceContext, steps: AgentSteps, data: Record<string, unknown>): Promise<boolean> {
  const violations = violationsOf(data);
  const agentIp = typeof data.agent_ip === 'string' ? data.agent_ip : ctx.input.mf2c?.myIp;
  if (violations.length === 0) {
    ctx.record('um_warning', 'info', 'User Management reports no violated limit: nothing to do');
    return false;
  }
  const targets = ctx.inst.agents
    .map((agent, index) => ({ agent, index }))
    .filter(({ agent }) => agent.url === agentIp && agent.status === 'started');
  ctx.record(
    'um_warning',
    'info',
    `User Management reports ${violations.join(', ')} on agent ${agentIp}: stopping ${targets.length} agent(s) there`,
  );
  await Promise.all(targets.map(({ index }) => steps.stopAgent(index)));
  return targets.length > 0;
}
