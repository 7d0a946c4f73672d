/** Reads the Docker engine directly, so tests check what really runs rather than what the LM says. */
import Docker from 'dockerode';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** On the machine's engine, or on `engine` (an agent's own, see private-docker-engine.ts). */
export async function containersOf(uuid: string, engine: Docker = docker): Promise<Docker.ContainerInfo[]> {
  return engine.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${uuid}`] } });
}

export async function inspectContainer(id: string): Promise<Docker.ContainerInspectInfo> {
  return docker.getContainer(id).inspect();
}

/** Removes every container the LM made for `uuids` (test cleanup; no-op when already gone). */
export async function removeContainersOf(uuids: string[]): Promise<void> {
  for (const uuid of uuids) {
    for (const container of await containersOf(uuid)) {
      await docker
        .getContainer(container.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}
