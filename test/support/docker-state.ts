/** Reads the Docker engine directly, so tests check what really runs rather than what the LM says. */
import Docker from 'dockerode';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export async function containersOf(uuid: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${uuid}`] } });
}

export async function inspectContainer(id: string): Promise<Docker.ContainerInspectInfo> {
  return docker.getContainer(id).inspect();
}

/** Removes every container the LM made for `uuids` (test cleanup; no-op when already gone). */
export async function removeContainersOf(uuids: string[]): Promise<void> {
  for (const uuid of uuids) {
    for (const container of await containersOf(uuid)) {
      await docker.getContainer(container.Id).remove({ force: true }).catch(() => undefined);
    }
  }
}
