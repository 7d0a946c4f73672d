/**
 * `start-job` of a COMPSs instance: the master agent's COMPSs runtime is asked to start the application with
 * every started agent as a resource (spec/original-lm.md §10). The caller holds the instance.
 */
import * as wf from '@temporalio/workflow';
import type { CompssActivities } from '../activities/compss/compss-activities';
import { describeFailure } from './failure-text';
import type { InstanceContext } from './instance-context';
import type { StartJobResult } from './messages';
import type { StartJobRequest } from './model/compss-job';
import { FailureType, NON_RETRYABLE_FAILURES } from './model/failures';
import { agentLabel } from './model/instance';
import { startJobRefusal } from './model/operations';
import { agentTaskQueue } from './model/task-queues';

/** Why a job cannot start now, or null. */
export function jobRefusal(ctx: InstanceContext): string | null {
  const { inst } = ctx;
  return startJobRefusal(inst.service_type, inst.status, inst.agents.filter((a) => a.status === 'started').length);
}

/** The master is the first started agent flagged master, else the first started agent (then flagged). */
function masterIndex(ctx: InstanceContext): number {
  const { inst } = ctx;
  const flagged = inst.agents.findIndex((a) => a.master_compss && a.status === 'started');
  if (flagged >= 0) return flagged;
  const promoted = inst.agents.findIndex((a) => a.status === 'started');
  inst.agents.forEach((agent, i) => (agent.master_compss = i === promoted));
  ctx.record('start-job', 'info', `agent ${agentLabel(inst.agents[promoted], promoted)} is now the COMPSs master`);
  return promoted;
}

export async function startCompssJob(ctx: InstanceContext, job: StartJobRequest): Promise<StartJobResult> {
  const { inst, input } = ctx;
  const refusal = jobRefusal(ctx);
  if (refusal !== null) {
    ctx.record('start-job', 'rejected', refusal);
    throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: refusal, nonRetryable: true });
  }
  const index = masterIndex(ctx);
  const master = inst.agents[index];
  const resources = inst.agents.filter((a) => a.status === 'started').map((a) => ({ ip: a.url, port: a.ports[0] }));
  const compss = wf.proxyActivities<CompssActivities>({
    taskQueue: agentTaskQueue(master.url),
    startToCloseTimeout: '2 minutes',
    scheduleToStartTimeout: input.settings.agentTimeoutMs,
    retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
    summary: `start-job ${job.className}.${job.methodName} on ${master.url}`,
  });
  try {
    const appId = await compss.startCompssApplication({
      instanceUuid: input.uuid,
      master: { ip: master.url, port: master.ports[0] },
      resources,
      job,
    });
    master.compss_app_id = appId;
    ctx.record('start-job', 'ok', `COMPSs application ${appId} started (${job.className}.${job.methodName}, ${resources.length} resource(s))`, agentLabel(master, index));
    ctx.publish();
    return { compss_app_id: appId, instance: inst };
  } catch (err) {
    const message = describeFailure(err, agentTaskQueue(master.url));
    ctx.record('start-job', 'failed', `start-job failed: ${message}`, agentLabel(master, index));
    throw wf.ApplicationFailure.create({ type: FailureType.PeerRejected, message, nonRetryable: true });
  }
}
