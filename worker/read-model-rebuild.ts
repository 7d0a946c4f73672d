/**
 * Rebuilds the read model from Temporal, its source of truth, so losing the database loses nothing
 * (`npm run rebuild-read-model`, worker/rebuild-read-model.ts). Every run of every instance (open or closed, within
 * Temporal's retention) is replayed from its history with the workflow code, and the projections the workflow made
 * are applied again, in order, through the same store: the result is what the workflows projected, entry for entry.
 * An instance whose history has no projection (started before the read model existed, and unchanged since) is
 * read with the projection query instead (its last 500 entries), or from its memo when no worker answers.
 * Safe while the LM runs: the store keeps the newer of two versions.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { Worker, type InjectedSinks } from '@temporalio/worker';
import type { ReadModelStore } from '../common/read-model/read-model-store';
import { projectionQuery } from '../workflows/messages';
import { uuidOf, type ServiceInstance } from '../workflows/model/instance';
import type { InstanceProjection } from '../workflows/model/projection';
import type { ProjectionCaptureSinks } from '../workflows/projection-capture.interceptor';

const INSTANCES = `WorkflowType = 'serviceInstanceWorkflow'`;
const QUERY_DEADLINE_MS = 10_000;

export interface RebuildOptions {
  /** A visibility filter narrowing the instances rebuilt (then nothing is pruned). */
  query?: string;
}

export interface RebuildReport {
  instances: number;
  /** Rebuilt by replaying their histories. */
  replayed: number;
  /** Read with the projection query (no projection in their history). */
  queried: number;
  /** Only their memo could be read: the document, without its timeline. */
  fromMemo: number;
  /** Rows of instances Temporal no longer has (past its retention), removed. */
  pruned: number;
  /** Instances that could not be rebuilt, with why. */
  failed: Array<{ uuid: string; error: string }>;
}

export async function rebuildReadModel(client: Client, store: ReadModelStore, options: RebuildOptions = {}): Promise<RebuildReport> {
  const startedAt = new Date().toISOString();
  const runs = new Map<string, WorkflowExecutionInfo[]>();
  const query = options.query ? `${INSTANCES} AND (${options.query})` : INSTANCES;
  for await (const execution of client.workflow.list({ query })) {
    const list = runs.get(execution.workflowId) ?? [];
    list.push(execution);
    runs.set(execution.workflowId, list);
  }
  for (const list of runs.values()) list.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());

  const captured = await replayAll(client, [...runs.values()].flat());
  const report: RebuildReport = { instances: runs.size, replayed: 0, queried: 0, fromMemo: 0, pruned: 0, failed: [] };
  for (const [workflowId, list] of runs) {
    const uuid = uuidOf(workflowId);
    try {
      const projections = list.flatMap((run) => captured.get(run.runId) ?? []);
      if (projections.length > 0) {
        for (const projection of projections) await store.project(projection);
        report.replayed += 1;
      } else if (await projectByQuery(client, store, workflowId)) {
        report.queried += 1;
      } else {
        await store.project(fromMemo(uuid, list[list.length - 1]));
        report.fromMemo += 1;
      }
    } catch (err) {
      report.failed.push({ uuid, error: err instanceof Error ? err.message : String(err) });
    }
  }

  if (options.query === undefined) {
    const known = new Set([...runs.keys()].map(uuidOf));
    // Rows made after the rebuild began belong to instances it could not have listed yet.
    const gone = (await store.uuids()).filter((row) => !known.has(row.uuid) && row.created < startedAt).map((row) => row.uuid);
    await store.remove(gone);
    report.pruned = gone.length;
  }
  return report;
}

/** Replays every run, capturing the projections each made (by run id, in order). */
async function replayAll(client: Client, executions: WorkflowExecutionInfo[]): Promise<Map<string, InstanceProjection[]>> {
  const captured = new Map<string, InstanceProjection[]>();
  async function* histories(): AsyncGenerator<HistoryAndWorkflowId> {
    for (const execution of executions) {
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      yield { workflowId: execution.workflowId, history };
    }
  }
  const sinks: InjectedSinks<ProjectionCaptureSinks> = {
    readModelRebuild: {
      projected: {
        fn: (info, projection) => {
          const list = captured.get(info.runId) ?? [];
          list.push(projection);
          captured.set(info.runId, list);
        },
        callDuringReplay: true,
      },
    },
  };
  const results = Worker.runReplayHistories(
    {
      workflowsPath: require.resolve('../workflows'),
      interceptors: { workflowModules: [require.resolve('../workflows/projection-capture.interceptor')] },
      sinks,
      replayName: 'read-model-rebuild',
    },
    histories(),
  );
  for await (const result of results) {
    // A history today's code cannot replay is read by query instead: its projections are not trusted.
    if (result.error !== undefined) captured.delete(result.runId);
  }
  return captured;
}

/** Open, or closed and still queryable (a worker replays it): the projection the workflow would make now. */
async function projectByQuery(client: Client, store: ReadModelStore, workflowId: string): Promise<boolean> {
  try {
    const projection = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(workflowId).query(projectionQuery, 0),
    );
    await store.project(projection);
    return true;
  } catch {
    return false;
  }
}

function fromMemo(uuid: string, run: WorkflowExecutionInfo): InstanceProjection {
  const instance = run.memo?.instance as ServiceInstance | undefined;
  if (instance === undefined)
    throw new Error(`no projection in its history, no answer to the projection query, and no memo (run ${run.runId})`);
  return {
    uuid,
    epoch: run.startTime.getTime(),
    revision: 0,
    instance,
    ended: run.status.name !== 'RUNNING',
    timelineNext: 0,
    firstEntry: 0,
    entries: [],
  };
}
