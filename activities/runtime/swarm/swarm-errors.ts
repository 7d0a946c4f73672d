/** Swarm-specific readings of Docker errors; everything else is classified as for containers. */
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { classifyDockerError, dockerMessage } from '../docker/docker-errors';

/** The Engine answers 503 "This node is not a swarm manager…" to service calls on a worker or non-swarm engine. */
export function isNotSwarmManager(err: unknown): boolean {
  return /not a swarm manager|not part of a swarm/i.test(dockerMessage(err));
}

/** Docker's "update out of sequence": another writer changed the service between our read and our update. */
export function isOutOfSequence(err: unknown): boolean {
  return /out of sequence/i.test(dockerMessage(err));
}

/** The port of Docker's 400 "port '20001' is already in use by service …": another service took it meanwhile. */
export function portInUse(err: unknown): number | null {
  const match = /port '?(\d+)'? is already in use/i.exec(dockerMessage(err));
  return match ? Number(match[1]) : null;
}

export function notSwarmManager(agent: string, socket: string, why: string): ApplicationFailure {
  return failure(
    FailureType.NotSupported,
    `exec_type "docker-swarm" needs the Docker engine of agent ${agent} (${socket}) to be a swarm manager, but ${why}: ` +
      `run "docker swarm init" on that agent (or join it to a swarm as a manager), or submit the service with exec_type "docker"`,
  );
}

export function classifySwarmError(err: unknown, what: string, socket: string, agent: string): ApplicationFailure {
  if (isNotSwarmManager(err)) return notSwarmManager(agent, socket, `it answered "${dockerMessage(err)}" to ${what}`);
  return classifyDockerError(err, what, socket);
}
