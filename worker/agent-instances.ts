/**
 * What the instances with agents on this agent last recorded, read from Temporal without waking them: their memo
 * (the instance document as of its last transition) in one visibility listing, or one instance's description.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { instancesOnAgentQuery } from '../activities/agent-announcement';
import { instanceIdOf, uuidOf, type ServiceInstance } from '../workflows/model/instance';

/** `running` with what its memo says; `gone`: closed or never existed; `unknown`: Temporal did not answer. */
export type InstanceRecord = { state: 'running'; instance: ServiceInstance | null } | { state: 'gone' } | { state: 'unknown'; why: string };

const PAGE_SIZE = 1000;

/** Every live instance with an agent on `agentIp` (by the LmAgents search attribute), by uuid, with its memo. */
export async function liveInstancesOn(client: Client, agentIp: string): Promise<Map<string, ServiceInstance>> {
  const live = new Map<string, ServiceInstance>();
  for await (const execution of client.workflow.list({ query: instancesOnAgentQuery(agentIp), pageSize: PAGE_SIZE })) {
    const instance = execution.memo?.instance as ServiceInstance | undefined;
    if (instance !== undefined) live.set(uuidOf(instance.id), instance);
  }
  return live;
}

/** One instance as its workflow's description tells (read from the server's state, not from visibility). */
export async function recordOf(client: Client, uuid: string): Promise<InstanceRecord> {
  try {
    const description = await client.workflow.getHandle(instanceIdOf(uuid)).describe();
    if (description.status.name !== 'RUNNING') return { state: 'gone' };
    return { state: 'running', instance: (description.memo?.instance as ServiceInstance | undefined) ?? null };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'gone' };
    return { state: 'unknown', why: err instanceof Error ? err.message : String(err) };
  }
}
