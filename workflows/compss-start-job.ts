/**
 * `start-job` of a COMPSs instance: the master agent's COMPSs runtime is asked to start the application with
 * every started agent as a resource (spec/original-lm.md §10). The caller holds the instance.
 */
import * as wf from '@temporalio/workflow';
import type { CompssActivities } from '../activities/compss/compss-activities';
import { COMPSS_JOB_START, COMPSS_JOB_START_ONCE, onAgentQueue } from './activity-options';
import { describeFailure } from './failure-text';
import type { InstanceContext } from './instance-context';
import type { StartJobResult } from './messages';
import type { StartJobRequest } from './model/compss-job';
import { FailureType } from './model/failures';
import { agentLabel } from './model/instance';
import { startJobRefusal } from './model/operations';
import { agentTaskQueue } from './model/task-queues';
import { sendOnce } from './mf2c/send-once';
import { START_JOB_SENT_ONCE } from './patches';

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

/** The application id, or the reason it is not known: a start-job that may have started is never sent again. */
async function sentOnce(send: () => Promise<string>, queue: string): Promise<string> {
  // A queue nobody serves is tried again, but not for long: the agent's LM is away.
  const result = await sendOnce(send, 3, queue);
  if (result.kind === 'ok') return result.value;
  const why =
    result.kind === 'unknown'
      ? `${result.message}; not sent again: the application may have started, see the COMPSs agent`
      : result.message;
  throw wf.ApplicationFailure.create({ type: FailureType.PeerRejected, message: why, nonRetryable: true });
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
  const once = ctx.patched(START_JOB_SENT_ONCE);
  const compss = wf.proxyActivities<CompssActivities>(
    onAgentQueue(
      once ? COMPSS_JOB_START_ONCE : COMPSS_JOB_START,
      master.url,
      input.settings.agentTimeoutMs,
      `start-job ${job.className}.${job.methodName} on ${master.url}`,
    ),
  );
  const call = { instanceUuid: input.uuid, master: { ip: master.url, port: master.ports[0] }, resources, job };
  try {
    const appId = once
      ? await sentOnce(() => compss.startCompssApplication(call), agentTaskQueue(master.url))
      : await compss.startCompssApplication(call);
    master.compss_app_id = appId;
    ctx.record(
      'start-job',
      'ok',
      `COMPSs application ${appId} started (${job.className}.${job.methodName}, ${resources.length} resource(s))`,
      agentLabel(master, index),
    );
    ctx.publish();
    return { compss_app_id: appId, instance: inst };
  } catch (err) {
    const message = describeFailure(err, agentTaskQueue(master.url));
    ctx.record('start-job', 'failed', `start-job failed: ${message}`, agentLabel(master, index));
    throw wf.ApplicationFailure.create({ type: FailureType.PeerRejected, message, nonRetryable: true });
  }
}
