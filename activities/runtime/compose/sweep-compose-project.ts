/**
 * Removes whatever Docker still holds for a compose project, by compose's project label. It is remove's
 * safety net: it works without the compose file (deleted, or never fully written) and after a half-done `down`.
 */
import type Docker from 'dockerode';
import { classifyDockerError, dockerStatus } from '../docker/docker-errors';
import { COMPOSE_PROJECT_LABEL, projectContainers } from './compose-containers';

/** 404: already gone; 409: removal already in progress (the next attempt sees 404). */
function alreadyGoing(err: unknown): boolean {
  const status = dockerStatus(err);
  return status === 404 || status === 409;
}

export async function sweepComposeProject(docker: Docker, project: string, socket: string): Promise<void> {
  const label = { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] };
  for (const container of await projectContainers(docker, project, socket)) {
    await docker
      .getContainer(container.Id)
      .remove({ force: true, v: true })
      .catch((err: unknown) => {
        if (!alreadyGoing(err)) throw classifyDockerError(err, `remove container ${container.Id.slice(0, 12)} of ${project}`, socket);
      });
  }
  try {
    for (const network of await docker.listNetworks({ filters: label })) {
      await docker
        .getNetwork(network.Id)
        .remove()
        .catch((err: unknown) => {
          if (!alreadyGoing(err)) throw err;
        });
    }
    const { Volumes } = await docker.listVolumes({ filters: label });
    for (const volume of Volumes ?? []) {
      await docker
        .getVolume(volume.Name)
        .remove()
        .catch((err: unknown) => {
          if (!alreadyGoing(err)) throw err;
        });
    }
  } catch (err) {
    throw classifyDockerError(err, `remove the networks and volumes of ${project}`, socket);
  }
}
