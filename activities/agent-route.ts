/**
 * DESIGN §4: an agent whose LM shares our Temporal cluster is reached through its task queue; one that does
 * not is reached through its LM's internal HTTP API. The queue having pollers tells the two apart (Temporal
 * lists the pollers seen in the last minutes).
 */
import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { AgentRoute } from '../workflows/model/peers';
import { agentTaskQueue } from '../workflows/model/task-queues';

const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;

export function createAgentRouteActivities(connection: Pick<ConnectionLike, 'workflowService'>, namespace: string) {
  return {
    async agentRoute(agentIp: string): Promise<AgentRoute> {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: agentTaskQueue(agentIp), kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return (pollers ?? []).length > 0 ? 'temporal' : 'http';
    },
  };
}

export type AgentRouteActivities = ReturnType<typeof createAgentRouteActivities>;
