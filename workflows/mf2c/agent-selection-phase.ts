/**
 * mF2C agent selection (spec/original-lm.md §8.2–§8.4, DESIGN §3): candidates (the Recommender's, or
 * `agents_list`) → User Management filter → Service Manager QoS filter → runtime capability → selection rule.
 * Every candidate and every verdict goes to the timeline, so a user can see why an agent was or was not chosen.
 */
import { describeFailure } from '../failure-text';
import { newAgentEntry } from '../instance-state';
import { selectAgents, type SelectionResult } from '../model/agent-selection';
import type { AgentEntry } from '../model/instance';
import type { QosAnswer, UmCheckVerdict } from '../model/peers';
import type { ExecType } from '../model/service';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../model/task-queues';
import { ensureRoute } from './agent-routes';
import type { CimiMirror } from './cimi-mirror';
import type { InstanceContext } from '../instance-context';
import { capabilityCalls, checkCalls } from './peer-proxies';

const SWARM_TYPES: readonly ExecType[] = ['docker-swarm', 'docker-compose-swarm'];

export type CandidateOutcome = { kind: 'candidates'; ips: string[] } | { kind: 'failed'; message: string };

/** The Recommender's hosts. When it is down the instance fails (no silent fallback to this agent: bug C9). */
async function recommended(ctx: InstanceContext): Promise<CandidateOutcome> {
  const { service } = ctx.input;
  try {
    const ips = await checkCalls.recommendAgents(service);
    ctx.record('select', 'info', `candidates from the Recommender (category ${service.category}): ${ips.join(', ') || 'none'}`);
    return { kind: 'candidates', ips };
  } catch (err) {
    const why = describeFailure(err, WORKFLOW_TASK_QUEUE);
    return {
      kind: 'failed',
      message: `the Recommender could not recommend agents (${why}); submit again once it answers, or name the agents in agents_list`,
    };
  }
}

async function umVerdict(ctx: InstanceContext, url: string): Promise<UmCheckVerdict | string> {
  const { mf2c, peers } = ctx.input;
  if (mf2c === undefined) return 'not in mF2C mode';
  try {
    if (url === mf2c.myIp) {
      if (peers?.userManagement !== true) return 'User Management is not configured';
      return await checkCalls.checkLocalUserManagement();
    }
    return await checkCalls.checkRemoteUserManagement({ ip: url, port: mf2c.lmPort });
  } catch (err) {
    return describeFailure(err, WORKFLOW_TASK_QUEUE);
  }
}

/** §8.4 (1): an agent UM refuses is dropped; one whose check fails is kept, as the original does. */
async function userManagementFilter(ctx: InstanceContext, agents: AgentEntry[]): Promise<AgentEntry[]> {
  if (ctx.input.service.agent_type !== 'normal') {
    ctx.record('select', 'info', `agent_type "${ctx.input.service.agent_type}": no User Management filter`);
    return agents;
  }
  const verdicts = await Promise.all(agents.map((agent) => umVerdict(ctx, agent.url)));
  return agents.filter((agent, i) => {
    const verdict = verdicts[i];
    if (typeof verdict === 'string') {
      ctx.record('select', 'info', `User Management check of ${agent.url} failed (${verdict}): kept`, agent.url);
      return true;
    }
    if (!verdict.result) {
      ctx.record(
        'select',
        'rejected',
        `User Management does not allow ${agent.url}: ${verdict.message.trim() || 'result false'}`,
        agent.url,
      );
      return false;
    }
    if (verdict.deviceId !== null) agent.device_id = verdict.deviceId;
    ctx.record('select', 'ok', `User Management allows ${agent.url}${verdict.deviceId ? ` (device ${verdict.deviceId})` : ''}`, agent.url);
    return true;
  });
}

/**
 * §8.4 (2): the SM reads the instance from CIMI, so the candidates are mirrored first. Each of our agents is
 * matched once by `device_id` (the original looped over the SM's agents and duplicated shared ids: bug C8).
 */
async function qosFilter(ctx: InstanceContext, mirror: CimiMirror, agents: AgentEntry[]): Promise<AgentEntry[]> {
  ctx.inst.agents = agents;
  mirror.request();
  await mirror.flush();
  let answer: QosAnswer;
  try {
    answer = await checkCalls.checkQos(ctx.inst.id);
  } catch (err) {
    ctx.record('select', 'info', `Service Manager QoS check failed (${describeFailure(err, WORKFLOW_TASK_QUEUE)}): not filtered`);
    return agents;
  }
  if (answer.status !== 200) {
    ctx.record('select', 'info', `Service Manager answered status ${answer.status} (${answer.message}): not filtered`);
    return agents;
  }
  return agents.filter((agent) => {
    const matches = answer.agents.filter((a) => a.device_id === agent.device_id);
    const allowed = matches.length > 0 && matches.every((a) => a.allow !== false);
    ctx.record(
      'select',
      allowed ? 'ok' : 'rejected',
      matches.length === 0
        ? `Service Manager QoS: ${agent.url} (device ${agent.device_id}) is not in its answer`
        : `Service Manager QoS: ${agent.url} ${allowed ? 'allowed' : 'not allowed'}`,
      agent.url,
    );
    return allowed;
  });
}

/** Null when the agent can run the service, else why not. */
async function capabilityProblem(ctx: InstanceContext, url: string): Promise<string | null> {
  const { mf2c, service, settings } = ctx.input;
  if (mf2c === undefined) return null;
  const execType = service.exec_type;
  const swarm = SWARM_TYPES.includes(execType);
  try {
    if ((await ensureRoute(ctx, url)) === 'http') {
      if (execType === 'kubernetes') return 'an original LM does not run kubernetes';
      if (!swarm) return null;
      const check = await checkCalls.checkRemoteSwarm({ ip: url, port: mf2c.lmPort });
      return check.result ? null : `${execType} needs a swarm manager: ${check.message}`;
    }
    const caps = await capabilityCalls(url, settings.agentTimeoutMs).agentCapabilities();
    if (!caps.execTypes.includes(execType)) return `its LM runs ${caps.execTypes.join(', ')}, not ${execType}`;
    if (swarm && !caps.swarmManager) return `${execType} needs a swarm manager: ${caps.swarmMessage}`;
    return null;
  } catch (err) {
    return `its LM did not answer (${describeFailure(err, agentTaskQueue(url))})`;
  }
}

async function capabilityFilter(ctx: InstanceContext, agents: AgentEntry[]): Promise<AgentEntry[]> {
  const problems = await Promise.all(agents.map((agent) => capabilityProblem(ctx, agent.url)));
  return agents.filter((agent, i) => {
    const problem = problems[i];
    ctx.record(
      'select',
      problem === null ? 'ok' : 'rejected',
      problem === null ? `${agent.url} can run ${ctx.input.service.exec_type}` : `${agent.url} cannot run the service: ${problem}`,
      agent.url,
    );
    return problem === null;
  });
}

export type Selection = SelectionResult | { kind: 'failed'; message: string };

/** Runs the filters and the rule; on success `inst.agents` holds the chosen agents, master first. */
export async function chooseAgents(ctx: InstanceContext, mirror: CimiMirror): Promise<Selection> {
  const { input, inst } = ctx;
  const { service, mf2c } = input;
  if (mf2c === undefined) throw new Error('agent selection runs in mF2C mode only');
  let ips: string[];
  if (mf2c.recommend) {
    const candidates = await recommended(ctx);
    if (candidates.kind === 'failed') return candidates;
    ips = candidates.ips;
  } else {
    ips = [...new Set(input.agents.map((agent) => agent.agent_ip))];
    ctx.record('select', 'info', `candidates from agents_list: ${ips.join(', ')}`);
  }
  let agents = ips.map((ip, i) => newAgentEntry(input.uuid, ip, i, service));
  agents = await userManagementFilter(ctx, agents);
  agents = await qosFilter(ctx, mirror, agents);
  agents = await capabilityFilter(ctx, agents);
  const result = selectAgents(
    service.exec_type,
    service.num_agents,
    agents.map((a) => a.url),
    mf2c.myIp,
  );
  if (result.kind === 'not-enough') {
    inst.agents = [];
    ctx.record('select', 'failed', `not enough agents: ${result.rule}`);
    return result;
  }
  const deviceOf = new Map(agents.map((agent) => [agent.url, agent.device_id]));
  inst.agents = result.agents.map((ip, i) => ({ ...newAgentEntry(input.uuid, ip, i, service), device_id: deviceOf.get(ip) ?? '-' }));
  ctx.record('select', 'ok', `selected ${result.agents.join(', ')} (${result.rule})`);
  return result;
}
