/**
 * Compares the agents this LM drives with what their runtime reports, and follows the runtime: a crashed or
 * removed container makes the instance `error`/`degraded`; one that runs again brings it back (DESIGN §3). A
 * container of a started agent that a restart of its engine left exited is started again instead: nobody stopped it.
 */
import * as wf from '@temporalio/workflow';
import type { OrchestrationActivities } from '../activities/orchestration-activities';
import type { RuntimeActivities } from '../activities/runtime/runtime-activities';
import type { EngineRestartRecovery, WorkloadRef } from '../activities/runtime/workload';
import type { AgentStatus } from './model/status';
import { ENGINE_RESTART_RECOVERY, OBSERVATION_PROBE, onAgentQueue, REMOTE_OBSERVATION_PROBE } from './activity-options';
import { describeFailure } from './failure-text';
import { hasWorkload } from './agent-steps';
import type { InstanceContext } from './instance-context';
import type { InstanceLock } from './instance-lock';
import { countDrift } from './instance-metrics';
import { agentLabel, type AgentEntry } from './model/instance';
import { agentTaskQueue } from './model/task-queues';
import { OBSERVED_IN, reconcileObserved } from './model/observed-drift';
import { routeOf } from './mf2c/agent-routes';
import { OBSERVE_REMOTE_AGENTS, START_WHAT_ENGINE_RESTART_LEFT } from './patches';

/** What the instance tells its agent's runtime: recorded started, found stopped, and driven on this cluster. */
function mayBeLeftByEngineRestart(ctx: InstanceContext, index: number, seen: AgentStatus | null): boolean {
  return seen === 'stopped' && ctx.inst.agents[index].status === 'started' && routeOf(ctx, index) === 'temporal';
}

/** What became of each agent `left` found stopped; an attempt that failed says why, as `start-failed`. */
async function startAgainIfLeftByRestart(
  ctx: InstanceContext,
  left: number[],
  refOf: (index: number) => WorkloadRef,
): Promise<Map<number, EngineRestartRecovery>> {
  const { inst, input } = ctx;
  const outcomes = await Promise.all(
    left.map(async (index): Promise<EngineRestartRecovery> => {
      const agent = inst.agents[index];
      const runtime = wf.proxyActivities<Pick<RuntimeActivities, 'startIfLeftByEngineRestart'>>(
        onAgentQueue(
          ENGINE_RESTART_RECOVERY,
          agent.url,
          input.settings.agentTimeoutMs,
          `start ${agent.name} again if its engine's restart left it exited`,
        ),
      );
      try {
        return await runtime.startIfLeftByEngineRestart(refOf(index));
      } catch (err) {
        if (wf.isCancellation(err)) throw err;
        return { outcome: 'start-failed', message: describeFailure(err, agentTaskQueue(agent.url)) };
      }
    }),
  );
  return new Map(left.map((index, k) => [index, outcomes[k]]));
}

/** Records what became of an agent its engine's restart may have left stopped; true when nothing is left to report. */
function recordRecovery(ctx: InstanceContext, agent: AgentEntry, index: number, recovery: EngineRestartRecovery | undefined): boolean {
  if (recovery === undefined || recovery.outcome === 'not-left') return false;
  if (recovery.outcome === 'running') return true;
  const label = agentLabel(agent, index);
  if (recovery.outcome === 'start-failed') {
    ctx.record('observe', 'failed', `${agent.name} was found exited and was not started again: ${recovery.message}`, label);
    return false;
  }
  if (recovery.moved !== null) Object.assign(agent, recovery.moved);
  const where = recovery.moved === null ? '' : ` (made anew on host ports ${recovery.moved.ports.join(', ')})`;
  ctx.record('observe', 'ok', `the engine restarted and left ${agent.name} exited: started again${where}`, label);
  return true;
}

const remote = wf.proxyActivities<Pick<OrchestrationActivities, 'observeRemoteAgent'>>(REMOTE_OBSERVATION_PROBE);

/**
 * Observing does not hold the instance, so operations are never refused for it; its result is dropped when
 * an operation overlapped it, as that operation has just set the statuses itself. `settleAfter` is called
 * (holding the instance) when some agent changed.
 */
export async function observeAgents(
  ctx: InstanceContext,
  lock: InstanceLock,
  refOf: (index: number) => WorkloadRef,
  settleAfter: (step: string) => Promise<void>,
): Promise<void> {
  const { inst, input } = ctx;
  if (lock.holder !== null || !OBSERVED_IN.includes(inst.status)) return;
  const before = lock.taken;
  const deployed = inst.agents.map((_, i) => i).filter((i) => hasWorkload(inst.agents[i]));
  const overHttp = deployed.filter((i) => routeOf(ctx, i) === 'http');
  // Agents over HTTP (mF2C) are asked through their LM, which answers what its runtime reports.
  const withRemote = overHttp.length > 0 && ctx.patched(OBSERVE_REMOTE_AGENTS);
  const watched = deployed.filter((i) => routeOf(ctx, i) === 'temporal' || withRemote);
  if (watched.length === 0) return;
  const observed = await Promise.all(
    watched.map(async (index) => {
      const agent = inst.agents[index];
      if (routeOf(ctx, index) === 'http') {
        const { mf2c, service } = input;
        const peer = { ip: agent.url, port: mf2c?.lmPort ?? 0, service, instance: inst, agentIndex: index };
        // An LM that cannot tell (an original one) answers `unknown`: the agent keeps what the LM recorded.
        return remote.observeRemoteAgent(peer).catch(() => null);
      }
      const runtime = wf.proxyActivities<Pick<RuntimeActivities, 'observeWorkload'>>(
        onAgentQueue(OBSERVATION_PROBE, agent.url, input.settings.agentTimeoutMs, `observe ${agent.name} on ${agent.url}`),
      );
      // An agent that cannot be observed now keeps its status: an operation on it will say what is wrong.
      return runtime.observeWorkload(refOf(index)).catch(() => null);
    }),
  );
  if (lock.holder !== null || lock.taken !== before || !OBSERVED_IN.includes(inst.status)) return;
  await lock.hold('observe', async () => {
    let changed = false;
    // Nobody stopped a container its engine's restart left exited: it is started again before anything is reported.
    const left = watched.filter((index, k) => mayBeLeftByEngineRestart(ctx, index, observed[k]));
    let recovered = new Map<number, EngineRestartRecovery>();
    if (left.length > 0 && ctx.patched(START_WHAT_ENGINE_RESTART_LEFT)) {
      try {
        recovered = await lock.cancellable(() => startAgainIfLeftByRestart(ctx, left, refOf));
      } catch (err) {
        // Preempted by a terminate, which removes the workloads: nothing to report.
        if (wf.isCancellation(err)) return;
        throw err;
      }
    }
    let moved = false;
    watched.forEach((index, k) => {
      const agent = inst.agents[index];
      const seen = observed[k];
      const recovery = recovered.get(index);
      if (recordRecovery(ctx, agent, index, recovery)) {
        moved ||= recovery?.outcome === 'started-again' && recovery.moved !== null;
        return;
      }
      const change = seen === null ? null : reconcileObserved(agent.status, seen, agent.name);
      if (change === null) return;
      changed = true;
      countDrift(change.status, input.service.exec_type);
      agent.status = change.status;
      agent.error = change.error;
      ctx.record('observe', change.status === 'started' ? 'ok' : 'failed', change.message, agentLabel(agent, index));
    });
    if (changed) await settleAfter('observe');
    // Where the agent now is (a container made anew) is in the memo too.
    else if (moved) ctx.publish();
  });
}
