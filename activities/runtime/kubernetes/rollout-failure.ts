/** Words a failed start of a Deployment as a classified failure that says what to fix. */
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import type { WorkloadRef } from '../workload';
import type { RolloutProblem } from './deployment-rollout';

export function rolloutFailure(ref: WorkloadRef, namespace: string, problem: RolloutProblem): ApplicationFailure {
  const where = `Deployment ${ref.name} in namespace ${namespace} (agent ${ref.agentUrl}) cannot start: ${problem.message}`;
  switch (problem.kind) {
    case 'image':
      return failure(
        FailureType.ImageNotFound,
        `${where}. Make image "${ref.service.exec}" pullable by the cluster's nodes (or load it on them), or fix the service's "exec"`,
      );
    case 'crash':
      return failure(
        FailureType.WorkloadExited,
        `${where}; check the image's command with "kubectl logs -n ${namespace} deployment/${ref.name}"`,
      );
    case 'config':
      return failure(FailureType.InvalidSpec, `${where}; fix the service definition`);
    case 'refused':
      return failure(
        FailureType.PeerRejected,
        `${where}; the cluster refuses its pods (quota, admission policy): free resources or change the policy`,
      );
    case 'stalled':
      return failure(FailureType.WorkloadExited, `${where}; see "kubectl describe -n ${namespace} deployment/${ref.name}"`);
  }
}

export function notReadyInTime(ref: WorkloadRef, namespace: string, waitedMs: number, seen: string): ApplicationFailure {
  return failure(
    FailureType.WorkloadExited,
    `Deployment ${ref.name} in namespace ${namespace} (agent ${ref.agentUrl}) was not ready within ${Math.round(waitedMs / 1000)} s ` +
      `(${seen}); see "kubectl describe -n ${namespace} deployment/${ref.name}"`,
  );
}
