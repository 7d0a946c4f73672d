/**
 * DESIGN §4: an agent whose LM shares our Temporal cluster is reached through its task queue; one that does
 * not is reached through its LM's internal HTTP API. The queue having pollers tells the two apart (Temporal
 * lists the pollers seen in the last minutes). A step nobody took in time asks whether the agent's LM still polls
 * its presence queue: then it is busy, not away.
 */
import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { AgentRoute } from '../workflows/model/peers';
import { agentPresenceTaskQueue, agentTaskQueue } from '../workflows/model/task-queues';

const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;

/**
 * A poller seen this recently is a live worker: idle workers long-poll, so a live one shows up at least about
 * once a minute (measured on the dev server: every 50–60 s), while a dead one stays listed for minutes.
 */
export const LIVE_POLLER_MS = 75_000;

/** The pollers Temporal lists for activity task queue `name` (those seen in the last minutes). */
export async function activityQueuePollers(
  connection: Pick<ConnectionLike, 'workflowService'>,
  namespace: string,
  name: string,
): Promise<temporal.api.taskqueue.v1.IPollerInfo[]> {
  const { pollers } = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return pollers ?? [];
}

/** How long ago `poller` last polled. */
export function pollerAgeMs(poller: temporal.api.taskqueue.v1.IPollerInfo, now: number): number {
  return now - Number(poller.lastAccessTime?.seconds ?? 0) * 1000;
}

export function createAgentRouteActivities(connection: Pick<ConnectionLike, 'workflowService'>, namespace: string) {
  return {
    async agentRoute(agentIp: string): Promise<AgentRoute> {
      return (await activityQueuePollers(connection, namespace, agentTaskQueue(agentIp))).length > 0 ? 'temporal' : 'http';
    },
    /**
     * True while the agent's LM lives: its presence worker (its own slots, one check at a time) polls whatever its
     * runtime steps keep busy, so a queue of steps waiting for a full agent does not make the agent look away.
     */
    async agentLmPolling(agentIp: string): Promise<boolean> {
      const now = Date.now();
      const pollers = await activityQueuePollers(connection, namespace, agentPresenceTaskQueue(agentIp));
      return pollers.some((poller) => pollerAgeMs(poller, now) < LIVE_POLLER_MS);
    },
  };
}

export type AgentRouteActivities = ReturnType<typeof createAgentRouteActivities>;
