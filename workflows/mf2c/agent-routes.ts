/**
 * DESIGN §4 in the workflow: an agent whose LM shares our Temporal cluster runs its steps on its task queue;
 * any other agent is driven through its LM's internal API (`service-instance-int`), through activities on
 * the workflow queue that look, to the rest of the workflow, like the agent's runtime activities.
 */
import * as wf from '@temporalio/workflow';
import type { RuntimeActivities } from '../../activities/runtime/runtime-activities';
import type { DeployedWorkload, WorkloadRef, WorkloadSpec } from '../../activities/runtime/workload';
import type { RemoteOperation } from '../../activities/peers/remote-lm';
import { describeFailure } from '../failure-text';
import { FailureType } from '../model/failures';
import type { AgentRoute, RemoteAgentReport } from '../model/peers';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../model/task-queues';
import type { InstanceContext } from '../instance-context';
import { checkCalls, peerCalls, remoteDeployOnce } from './peer-proxies';
import { sendOnce } from './send-once';

/** An agent's steps; deploy-and-start as one step only on this Temporal cluster (an LM over HTTP takes them apart). */
export type AgentRuntime = Pick<RuntimeActivities, 'deployWorkload' | 'startWorkload' | 'stopWorkload' | 'removeWorkload'> &
  Partial<Pick<RuntimeActivities, 'deployAndStartWorkload'>>;

/** The route of agent `index` once known (deployed agents); Temporal before that, and in standalone mode. */
export function routeOf(ctx: InstanceContext, index: number): AgentRoute {
  const url = ctx.inst.agents[index].url;
  return ctx.input.mf2c === undefined ? 'temporal' : (ctx.state.peers?.routes[url] ?? 'temporal');
}

/** Decides (once per agent IP) how to reach an agent; our own agent is always on our own queue. */
export async function ensureRoute(ctx: InstanceContext, url: string): Promise<AgentRoute> {
  const { mf2c } = ctx.input;
  if (mf2c === undefined || url === mf2c.myIp) return 'temporal';
  const routes = ctx.peerState().routes;
  const known = routes[url];
  if (known !== undefined) return known;
  let route: AgentRoute = 'temporal';
  try {
    route = await checkCalls.agentRoute(url);
  } catch (err) {
    ctx.record(
      'route',
      'failed',
      `could not read task queue ${agentTaskQueue(url)}: ${describeFailure(err, WORKFLOW_TASK_QUEUE)}; trying Temporal`,
      url,
    );
  }
  routes[url] = route;
  ctx.record(
    'route',
    'info',
    route === 'temporal'
      ? `agent ${url} shares this Temporal cluster: its LM serves task queue ${agentTaskQueue(url)}`
      : `agent ${url} has no LM on this Temporal cluster: it is driven through http://${url}:${mf2c.lmPort}/api/v2/lm/service-instance-int`,
    url,
  );
  return route;
}

function refused(message: string): wf.ApplicationFailure {
  return wf.ApplicationFailure.create({ type: FailureType.PeerRejected, message, nonRetryable: true });
}

/** The runtime activities of an agent reached over HTTP; failures read like those of a local runtime. */
export function remoteAgentRuntime(ctx: InstanceContext, index: number): AgentRuntime {
  const { mf2c, service } = ctx.input;
  if (mf2c === undefined) throw new Error('remote agents exist in mF2C mode only');
  const agent = ctx.inst.agents[index];
  const target = { ip: agent.url, port: mf2c.lmPort };
  const operate = async (operation: RemoteOperation, expected: string): Promise<RemoteAgentReport> => {
    const report = await peerCalls.operateRemoteAgent({ ...target, service, operation, instance: ctx.inst, agentIndex: index });
    if (report.status !== expected) throw refused(`the LM of agent ${agent.url} reports its agent "${report.status}" after ${operation}`);
    return report;
  };
  return {
    async deployWorkload(_spec: WorkloadSpec): Promise<DeployedWorkload> {
      const result = await sendOnce(() =>
        remoteDeployOnce.deployOnRemoteAgent({ ...target, service, instance: ctx.inst, agentIndex: index }),
      );
      if (result.kind !== 'ok') {
        throw refused(result.kind === 'unknown' ? `${result.message}; not resent, the agent's LM may have deployed it` : result.message);
      }
      const { container_id, ports, agent_param } = result.value;
      return { container_id, ports, agent_param };
    },
    async startWorkload(ref: WorkloadRef): Promise<DeployedWorkload | null> {
      const report = await operate('start', 'started');
      // The remote runtime moved the workload to free ports: record where it now is, or it is orphaned.
      if (report.container_id === '-' || report.container_id === ref.container_id) return null;
      const { container_id, ports, agent_param } = report;
      return { container_id, ports, agent_param };
    },
    async stopWorkload(_ref: WorkloadRef): Promise<void> {
      await operate('stop', 'stopped');
    },
    async removeWorkload(_ref: WorkloadRef): Promise<void> {
      await operate('terminate', 'terminated');
    },
  };
}
