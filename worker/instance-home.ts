/**
 * Which Temporal cluster and namespace this LM's instances live in. Every workload the agent makes for them is
 * labelled so, and the reaper judges only those: several LMs (or test runs) with their own clusters may share
 * one Docker engine, and none may remove another's workloads.
 */
import type { ConnectionLike } from '@temporalio/client';
import type { InstanceHome } from '../activities/runtime/workload';

export async function instanceHome(connection: Pick<ConnectionLike, 'workflowService'>, namespace: string): Promise<InstanceHome> {
  const { clusterId } = await connection.workflowService.getClusterInfo({});
  if (!clusterId) throw new Error('the Temporal server did not say its cluster id (GetClusterInfo); the LM cannot label its workloads');
  return { clusterId, namespace };
}
