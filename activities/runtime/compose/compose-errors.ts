/** Turns a failed compose command into a classified failure carrying the tail of compose's stderr. */
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/model/failures';
import { errorMessage, failure } from '../../failures';
import { WORKLOAD_CANNOT_RUN } from '../docker/docker-errors';
import { stderrTail, type CommandResult } from './run-command';

const ENGINE_DOWN =
  /Cannot connect to the Docker daemon|Is the docker daemon running|Error while fetching server API version|connection refused/i;
const IMAGE_MISSING = /pull access denied|manifest unknown|No such image|repository does not exist|failed to resolve reference/i;
/** Compose rejected the file itself, or the file asks for something the engine already gave away. */
const FILE_AT_FAULT =
  /is invalid|Unsupported config option|Additional propert|contains an invalid type|does not match any of the regexes|yaml:|Couldn't find env file|either does not exist|failed to build|port is already allocated|address already in use|is already in use by container|Conflict\./i;

function isCommandResult(value: unknown): value is CommandResult {
  return value !== null && typeof value === 'object' && 'exitCode' in value && 'stderr' in value;
}

/** `what` names the step, e.g. `docker compose up of lm-…`; it leads the message. */
export function classifyComposeError(err: unknown, what: string, socket: string): ApplicationFailure {
  if (!isCommandResult(err)) {
    return failure(FailureType.RuntimeUnavailable, `${what}: compose could not be run: ${errorMessage(err)}`, err);
  }
  const tail = stderrTail(err.stderr) || stderrTail(err.stdout) || `exit code ${err.exitCode}`;
  if (ENGINE_DOWN.test(err.stderr)) {
    return failure(
      FailureType.RuntimeUnavailable,
      `${what}: the Docker engine at ${socket} is not reachable (${tail}); start dockerd or fix DOCKER_SOCKET`,
    );
  }
  if (IMAGE_MISSING.test(err.stderr))
    return failure(FailureType.ImageNotFound, `${what}: an image of the compose file is missing: ${tail}`);
  if (FILE_AT_FAULT.test(err.stderr)) return failure(FailureType.InvalidSpec, `${what} failed: ${tail}`);
  if (WORKLOAD_CANNOT_RUN.test(err.stderr))
    return failure(FailureType.InvalidSpec, `${what} failed: the engine cannot run a service of the file: ${tail}`);
  return failure(FailureType.RuntimeUnavailable, `${what} failed (exit code ${err.exitCode}): ${tail}`);
}
