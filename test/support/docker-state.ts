/** Reads the Docker engine directly, so tests check what really runs rather than what the LM says. */
import Docker from 'dockerode';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';
import { HOST_PORTS_LABEL, isBindable, parsePortsLabel } from '../../activities/runtime/docker/host-ports';

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

/**
 * Who holds `port` on this host: containers of the machine's engine that publish it or reserve it by label, or
 * something outside Docker. Empty when the port is free.
 */
export async function holdersOfHostPort(port: number): Promise<string[]> {
  const holders: string[] = [];
  for (const container of await docker.listContainers({ all: true })) {
    const published = (container.Ports ?? []).some((p) => p.PublicPort === port);
    if (published || parsePortsLabel(container.Labels?.[HOST_PORTS_LABEL]).includes(port)) {
      holders.push(`container ${container.Names?.[0] ?? container.Id} (${container.State}, labels ${JSON.stringify(container.Labels)})`);
    }
  }
  if (holders.length === 0 && !(await isBindable(port))) holders.push('a process outside Docker');
  return holders;
}
