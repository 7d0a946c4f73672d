/**
 * Compares the agents this LM drives with what their runtime reports, and follows the runtime: a crashed or
 * removed container makes the instance `error`/`degraded`; one that runs again brings it back (DESIGN §3).
 */
import * as wf from '@temporalio/workflow';
import type { RuntimeActivities } from '../activities/runtime/runtime-activities';
import type { WorkloadRef } from '../activities/runtime/workload';
import { hasWorkload } from './agent-steps';
import type { InstanceContext } from './instance-context';
import type { InstanceLock } from './instance-lock';
import { countDrift } from './instance-metrics';
import { agentLabel } from './model/instance';
import { reconcileObserved } from './model/observed-drift';
import type { InstanceStatus } from './model/status';
import { agentTaskQueue } from './model/task-queues';
import { routeOf } from './mf2c/agent-routes';

/** Settled statuses in which the agents are compared with their runtime. */
const OBSERVED_IN: readonly InstanceStatus[] = ['started', 'degraded', 'stopped', 'error'];

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
  // Remote agents (mF2C, over HTTP) are observed by their own LM.
  const watched = inst.agents.map((_, i) => i).filter((i) => hasWorkload(inst.agents[i]) && routeOf(ctx, i) === 'temporal');
  if (watched.length === 0) return;
  const observed = await Promise.all(
    watched.map(async (index) => {
      const agent = inst.agents[index];
      const runtime = wf.proxyActivities<Pick<RuntimeActivities, 'observeWorkload'>>({
        taskQueue: agentTaskQueue(agent.url),
        scheduleToStartTimeout: input.settings.agentTimeoutMs,
        startToCloseTimeout: '1 minute',
        heartbeatTimeout: '15 seconds',
        // The next observation is the retry.
        retry: { maximumAttempts: 1 },
        summary: `observe ${agent.name} on ${agent.url}`,
      });
      // An agent that cannot be observed now keeps its status: an operation on it will say what is wrong.
      return runtime.observeWorkload(refOf(index)).catch(() => null);
    }),
  );
  if (lock.holder !== null || lock.taken !== before || !OBSERVED_IN.includes(inst.status)) return;
  await lock.hold('observe', async () => {
    let changed = false;
    watched.forEach((index, k) => {
      const agent = inst.agents[index];
      const seen = observed[k];
      const change = seen === null ? null : reconcileObserved(agent.status, seen, agent.name);
      if (change === null) return;
      changed = true;
      countDrift(change.status, input.service.exec_type);
      agent.status = change.status;
      agent.error = change.error;
      ctx.record('observe', change.status === 'started' ? 'ok' : 'failed', change.message, agentLabel(agent, index));
    });
    if (changed) await settleAfter('observe');
  });
}
