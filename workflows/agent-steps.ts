/**
 * The steps of one agent (deploy, start, stop, remove) and how they reach its runtime: activities on the
 * agent's task queue, or (mF2C) the agent's own LM over HTTP. A failed step becomes the agent's status and
 * error, never an exception: the instance settles from its agents.
 */
import * as wf from '@temporalio/workflow';
import type { RuntimeActivities } from '../activities/runtime/runtime-activities';
import type { WorkloadRef, WorkloadSpec } from '../activities/runtime/workload';
import { describeFailure } from './failure-text';
import type { InstanceContext } from './instance-context';
import { newAgentEntry } from './instance-state';
import { NON_RETRYABLE_FAILURES } from './model/failures';
import type { AgentEntry } from './model/instance';
import { agentLabel } from './model/instance';
import { agentTaskQueue } from './model/task-queues';
import { ensureRoute, remoteAgentRuntime, routeOf, type AgentRuntime } from './mf2c/agent-routes';

type Step = 'deploy' | 'start' | 'stop' | 'remove';

const AGENT_ACTIVITY_OPTIONS: wf.ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  scheduleToCloseTimeout: '30 minutes',
  // Runtime activities heartbeat every 2 s: a killed worker is noticed after this, not after 10 minutes.
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
  },
};

/** An agent with something on the runtime: it needs stopping and removing. */
export function hasWorkload(agent: AgentEntry): boolean {
  return agent.container_id !== '-' && agent.status !== 'terminated';
}

function needsDeploy(agent: AgentEntry): boolean {
  return agent.container_id === '-';
}

export interface AgentSteps {
  deployAgent(index: number): Promise<boolean>;
  /** Deploys first if the agent has nothing on its runtime yet. */
  startAgent(index: number): Promise<boolean>;
  stopAgent(index: number): Promise<boolean>;
  removeAgent(index: number): Promise<boolean>;
  /** A new agent entry for `url` (QoS adds agents later); the first agent is the COMPSs master. */
  newAgent(url: string): AgentEntry;
  /** What the runtime needs to find agent `index`'s workload. */
  refOf(index: number): WorkloadRef;
}

/** `withPeers`: the instance has peer or mF2C steps, so agents may be remote (standalone commands never change). */
export function agentSteps(ctx: InstanceContext, withPeers: boolean): AgentSteps {
  const { input, inst } = ctx;
  const { settings, service } = input;

  function activitiesFor(index: number, step: Step): AgentRuntime {
    const agent = inst.agents[index];
    if (routeOf(ctx, index) === 'http') return remoteAgentRuntime(ctx, index);
    return wf.proxyActivities<RuntimeActivities>({
      ...AGENT_ACTIVITY_OPTIONS,
      taskQueue: agentTaskQueue(agent.url),
      scheduleToStartTimeout: settings.agentTimeoutMs,
      summary: `${step} ${agent.name} on ${agent.url}`,
    });
  }

  function specOf(index: number): WorkloadSpec {
    const agent = inst.agents[index];
    return {
      instanceUuid: input.uuid,
      agentIndex: index,
      agentUrl: agent.url,
      service,
      name: agent.name,
      deviceIp: inst.device_ip,
    };
  }

  function refOf(index: number): WorkloadRef {
    const { container_id, ports, agent_param } = inst.agents[index];
    return { ...specOf(index), container_id, ports, agent_param };
  }

  async function onAgent(index: number, step: Step, work: (acts: AgentRuntime) => Promise<void>, failedAs: AgentEntry['status']): Promise<boolean> {
    const agent = inst.agents[index];
    const label = agentLabel(agent, index);
    try {
      await work(activitiesFor(index, step));
      agent.error = null;
      return true;
    } catch (err) {
      agent.status = failedAs;
      agent.error = describeFailure(err, agentTaskQueue(agent.url));
      ctx.record(step, 'failed', `${step} of ${agent.name} failed: ${agent.error}`, label);
      return false;
    }
  }

  async function deployAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (withPeers) await ensureRoute(ctx, agent.url);
    return onAgent(index, 'deploy', async (acts) => {
      const deployed = await acts.deployWorkload(specOf(index));
      Object.assign(agent, deployed, { status: 'waiting' });
      const ports = deployed.ports.length > 0 ? `, host ports ${deployed.ports.join(', ')}` : '';
      ctx.record('deploy', 'ok', `deployed ${agent.name} (${deployed.container_id.slice(0, 12)})${ports}`, agentLabel(agent, index));
    }, 'not-deployed');
  }

  async function startAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (needsDeploy(agent) && !(await deployAgent(index))) return false;
    return onAgent(index, 'start', async (acts) => {
      const moved = await acts.startWorkload(refOf(index));
      if (moved !== null && moved !== undefined) {
        Object.assign(agent, moved);
        ctx.record('start', 'info', `a host port of ${agent.name} was taken since deploy: recreated on host ports ${moved.ports.join(', ')}`, agentLabel(agent, index));
      }
      agent.status = 'started';
      ctx.record('start', 'ok', `started ${agent.name}`, agentLabel(agent, index));
    }, 'error-starting');
  }

  async function stopAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (!hasWorkload(agent)) return true;
    return onAgent(index, 'stop', async (acts) => {
      await acts.stopWorkload(refOf(index));
      agent.status = 'stopped';
      ctx.record('stop', 'ok', `stopped ${agent.name}`, agentLabel(agent, index));
    }, 'error-stopping');
  }

  async function removeAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (!hasWorkload(agent)) {
      agent.status = 'terminated';
      return true;
    }
    return onAgent(index, 'remove', async (acts) => {
      await acts.removeWorkload(refOf(index));
      agent.status = 'terminated';
      ctx.record('remove', 'ok', `removed ${agent.name}`, agentLabel(agent, index));
    }, 'error');
  }

  return {
    deployAgent,
    startAgent,
    stopAgent,
    removeAgent,
    newAgent: (url) => ({ ...newAgentEntry(input.uuid, url, inst.agents.length, service), master_compss: inst.agents.length === 0 }),
    refOf,
  };
}
