/**
 * An instance whose workflow task fails on every attempt (its input is not an instance's), listed like a
 * started one: what Temporal answers FAILED_PRECONDITION for once the task is in its failed state.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { AxiosInstance } from 'axios';
import { SA_STATUS } from '../../workflows/model/search-attributes';
import { WORKFLOW_TASK_QUEUE } from '../../workflows/model/task-queues';
import { eventually } from './eventually';

export interface BrokenInstance {
  uuid: string;
  handle: WorkflowHandle;
}

export async function startBrokenInstance(client: Client, api: AxiosInstance, auth: Record<string, string> = {}): Promise<BrokenInstance> {
  const uuid = randomUUID();
  const id = `service-instance/${uuid}`;
  const handle = await client.workflow.start('serviceInstanceWorkflow', {
    workflowId: id,
    taskQueue: WORKFLOW_TASK_QUEUE,
    args: [{}],
    typedSearchAttributes: [{ key: SA_STATUS, value: 'started' }],
    memo: { instance: { id, status: 'started', agents: [] } },
  });
  // Until its first task has failed, Temporal waits on it rather than refusing.
  await eventually(
    'the broken workflow task in its failed state',
    async () => {
      const response = await api.get(`/api/v2/lm/service-instances/${uuid}/timeline`, { headers: auth });
      return response.status === 503 && response.headers['retry-after'] !== undefined ? true : undefined;
    },
    60_000,
    500,
  );
  return { uuid, handle };
}
