/** Turns the task that kept a service from starting into a classified failure that says what to fix. */
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import type { WorkloadRef } from '../workload';
import type { TaskProblem } from './task-summary';

/** How the Engine words "the image is not there and cannot be pulled". */
const IMAGE_MISSING =
  /no such image|pull access denied|manifest unknown|repository does not exist|not found: manifest|invalid reference format/i;

export function taskFailure(ref: WorkloadRef, problem: TaskProblem): ApplicationFailure {
  const where = `swarm service ${ref.name} (agent ${ref.agentUrl})`;
  if (problem.state === 'rejected' && IMAGE_MISSING.test(problem.message)) {
    return failure(
      FailureType.ImageNotFound,
      `${where} cannot start: ${problem.message}. Load image "${ref.service.exec}" on every swarm node ` +
        `(docker load / docker pull) or fix the service's "exec"`,
    );
  }
  if (problem.state === 'rejected') {
    return failure(FailureType.InvalidSpec, `${where} cannot start: swarm rejected its task: ${problem.message}`);
  }
  const exit = problem.exitCode === null ? '' : ` (exit code ${problem.exitCode})`;
  return failure(
    FailureType.WorkloadExited,
    `${where} stopped right after start${exit}: ${problem.message}; check the image's command with "docker service logs ${ref.name}"`,
  );
}

export function notRunningInTime(ref: WorkloadRef, target: number, waitedMs: number, seen: string): ApplicationFailure {
  return failure(
    FailureType.WorkloadExited,
    `swarm service ${ref.name} (agent ${ref.agentUrl}) did not reach ${target} running task(s) within ${Math.round(waitedMs / 1000)} s ` +
      `(tasks: ${seen}); check "docker service ps ${ref.name} --no-trunc"`,
  );
}
