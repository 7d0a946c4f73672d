/** Turns dockerode errors into classified failures with messages a user can act on. */
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/model/failures';
import { errorMessage, failure } from '../../failures';

interface DockerError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
}

const CONNECTION_CODES = ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'];

export function dockerStatus(err: unknown): number | undefined {
  return (err as DockerError | null)?.statusCode;
}

/** Docker's own message, without dockerode's "(HTTP code 404) no such container -" prefix. */
export function dockerMessage(err: unknown): string {
  const json = (err as DockerError | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return errorMessage(err).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '');
}

export function isDockerUnreachable(err: unknown): boolean {
  const code = (err as DockerError | null)?.code;
  if (code !== undefined && CONNECTION_CODES.includes(code)) return true;
  return /timeout|socket hang up|connect/i.test(errorMessage(err)) && dockerStatus(err) === undefined;
}

/** `what` names the call, e.g. `create container lm-…`; it leads the message. */
export function classifyDockerError(err: unknown, what: string, socket: string): ApplicationFailure {
  if (isDockerUnreachable(err)) {
    return failure(
      FailureType.RuntimeUnavailable,
      `${what}: the Docker engine at ${socket} is not reachable (${errorMessage(err)}); start dockerd or fix DOCKER_SOCKET`,
      err,
    );
  }
  const status = dockerStatus(err);
  if (status !== undefined && status >= 400 && status < 500 && status !== 409) {
    return failure(FailureType.InvalidSpec, `${what}: Docker refused it: ${dockerMessage(err)}`, err);
  }
  return failure(FailureType.RuntimeUnavailable, `${what}: Docker failed: ${dockerMessage(err)}`, err);
}
