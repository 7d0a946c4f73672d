/**
 * Nothing is left behind, whatever happened to the instance: of the workloads the agent's sweep lists (those its
 * runtimes hold for instances of its own Temporal cluster and namespace, by their labels), the reaper removes those
 * whose instance workflow is closed or does not exist, e.g. an instance terminated from the Temporal Web UI, where
 * no workflow code runs. A workload younger than LM_REAP_GRACE_S is left alone (its deploy may still be under
 * way), and so is one whose workflow cannot be read now: the reaper removes only what it knows is orphaned.
 * Workloads of other clusters, of peer LMs' instances, and without the cluster label (made before it existed) are
 * never listed.
 */
import type { MetricMeter } from '@temporalio/common';
import type { Logger } from '../common/logger';
import type { LabelledWorkload, WorkloadRuntime } from '../activities/runtime/workload';
import { errorMessage } from '../activities/failures';
import { instanceIdOf } from '../workflows/model/instance';
import type { InstanceRecord } from './agent-instances';

/** A workload as one runtime listed it. */
export interface ListedWorkload {
  runtime: WorkloadRuntime;
  workload: LabelledWorkload;
}

export interface Reaper {
  /** Removes the listed workloads old enough whose instance is gone; resolves with how many were removed. */
  reapOrphans(listed: readonly ListedWorkload[], recordOf: (uuid: string) => InstanceRecord | undefined): Promise<number>;
}

export function createReaper(options: { graceMs: number; logger: Logger; meter: MetricMeter; stopped: () => boolean }): Reaper {
  const { graceMs, logger, stopped } = options;
  const reaped = options.meter.createCounter(
    'lm_reaped_total',
    '1',
    'LM workloads removed because their instance workflow was closed or missing, by runtime',
  );

  async function reap({ runtime, workload }: ListedWorkload, why: string): Promise<boolean> {
    const { ref } = workload;
    try {
      await runtime.remove(ref);
    } catch (err) {
      logger.warn(
        { err: errorMessage(err), workload: workload.describe, instance: ref.instanceUuid },
        'reaper: could not remove an orphaned workload',
      );
      return false;
    }
    reaped.add(1, { runtime: ref.service.exec_type });
    logger.info(
      { workload: workload.describe, instance: ref.instanceUuid, agent: ref.agentUrl, runtime: ref.service.exec_type, why },
      'reaped an orphaned workload',
    );
    return true;
  }

  return {
    async reapOrphans(listed, recordOf) {
      let removed = 0;
      for (const entry of listed) {
        if (stopped()) break;
        const uuid = entry.workload.ref.instanceUuid;
        if (!isReapable(entry.workload, graceMs) || recordOf(uuid)?.state !== 'gone') continue;
        if (await reap(entry, `instance workflow ${instanceIdOf(uuid)} is closed or does not exist`)) removed += 1;
      }
      return removed;
    },
  };
}

/** Old enough that no deploy can still be making it. */
export function isReapable(workload: LabelledWorkload, graceMs: number): boolean {
  return Date.now() - workload.createdAt >= graceMs;
}
