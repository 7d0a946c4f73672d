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

/**
 * The engine's words for a workload it cannot run as given: its command, limits, mounts, capabilities or
 * devices. Docker answers most of them with HTTP 500, as for its own trouble, but another attempt of the same
 * workload meets the same refusal: they fail for good, with the engine's message.
 */
export const WORKLOAD_CANNOT_RUN =
  /OCI runtime (create|start|exec) failed|runc (create|run) failed|unable to start container process|starting container process caused|invalid mount|invalid volume specification|mounts? denied|invalid Cap(Add|Drop)|unknown capability|error gathering device information|error creating device nodes|exec format error|executable file not found/i;

/**
 * The engine's words for its own trouble: containerd or its shim going away under a call (dockerd stopping or
 * restarting). They win over the words above, which an interrupted runc call may also carry.
 */
const ENGINE_TROUBLE =
  /transport is closing|client connection is closing|ttrpc: closed|context canceled|connection refused|connection reset|broken pipe|error while dialing/i;

/**
 * containerd still holds a task of an earlier start of this very container: dockerd stopped while starting it
 * and the task's shim outlived it. Every later start of that container meets it; one made anew (new id) does not.
 */
const STALE_TASK = /\btask [0-9a-f]{12,64}: already exists/i;

/** The container cannot be started as it is, but the same container made again can. */
export function needsNewContainer(err: unknown): 'port taken' | 'stale task' | null {
  const message = dockerMessage(err);
  if (/port is already allocated|address already in use/i.test(message)) return 'port taken';
  if (STALE_TASK.test(message)) return 'stale task';
  return null;
}

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
  if (ENGINE_TROUBLE.test(dockerMessage(err))) {
    return failure(FailureType.RuntimeUnavailable, `${what}: the Docker engine is in trouble (${dockerMessage(err)}); retrying`, err);
  }
  if (STALE_TASK.test(dockerMessage(err))) {
    return failure(
      FailureType.RuntimeUnavailable,
      `${what}: containerd still holds a task of an interrupted start (${dockerMessage(err)}); remove the container and retry`,
      err,
    );
  }
  if (WORKLOAD_CANNOT_RUN.test(dockerMessage(err))) {
    return failure(FailureType.InvalidSpec, `${what}: Docker cannot run it: ${dockerMessage(err)}`, err);
  }
  return failure(FailureType.RuntimeUnavailable, `${what}: Docker failed: ${dockerMessage(err)}`, err);
}

/** What the engine says of a container that was not running any more when its start was checked. */
export interface EarlyExit {
  exitCode: number;
  /** The engine's own error for it (`State.Error`), empty when none. */
  error: string;
  /** Signals of the `kill` events the engine logged for it since the start: it was stopped from outside. */
  killSignals: string[];
}

/**
 * A container that ends on its own right after start has a command that fails: retrying the same command fails
 * alike. One the engine itself killed meanwhile (dockerd shutting down stops every container, as does a
 * `docker stop` or `docker kill`) says nothing about the workload: it is started again.
 */
export function classifyEarlyExit(name: string, agent: string, exit: EarlyExit): ApplicationFailure {
  const detail = `exit code ${exit.exitCode}${exit.error ? `, ${exit.error}` : ''}`;
  if (exit.killSignals.length > 0) {
    return failure(
      FailureType.RuntimeUnavailable,
      `container ${name} on agent ${agent} was stopped by the engine right after start (signal ${exit.killSignals.join(', ')}, ${detail}): ` +
        'dockerd was shutting down or someone stopped it; starting it again',
    );
  }
  return failure(
    FailureType.WorkloadExited,
    `container ${name} on agent ${agent} stopped right after start (${detail}); check the image's command with "docker logs ${name}"`,
  );
}
