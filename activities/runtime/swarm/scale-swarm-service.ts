/** Sets a service's replica count, re-reading it when another writer updated it in between. */
import type Docker from 'dockerode';
import { replicasOf, type SwarmServiceInfo } from './swarm-api-types';
import { isOutOfSequence } from './swarm-errors';

const MAX_ATTEMPTS = 5;

/**
 * Returns the service as it is after the change (its `UpdatedAt` dates the tasks the change makes).
 * Already at `replicas`: nothing is written, so a retried start or stop does not disturb running tasks.
 * Docker errors are thrown as they are, for the caller to classify.
 */
export async function scaleSwarmService(docker: Docker, serviceId: string, replicas: number): Promise<SwarmServiceInfo> {
  const service = docker.getService(serviceId);
  for (let attempt = 1; ; attempt += 1) {
    const current = (await service.inspect()) as SwarmServiceInfo;
    if (replicasOf(current) === replicas) return current;
    try {
      // `version` must go in the query and the spec alone in the body (dockerode would send both in both).
      await service.update({
        _query: { version: current.Version.Index },
        _body: { ...current.Spec, Mode: { Replicated: { Replicas: replicas } } },
      });
    } catch (err) {
      if (isOutOfSequence(err) && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
}
