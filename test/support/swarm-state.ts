/** Reads swarm services and their containers on the Docker engine itself, for swarm tests and their cleanup. */
import type Docker from 'dockerode';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';
import type { SwarmServiceInfo, SwarmTask } from '../../activities/runtime/swarm/swarm-api-types';
import { docker } from './docker-state';
import { eventually } from './eventually';

export async function servicesOf(uuid: string): Promise<SwarmServiceInfo[]> {
  return (await docker.listServices({ filters: { label: [`${LABEL_INSTANCE}=${uuid}`] } })) as SwarmServiceInfo[];
}

export async function inspectService(idOrName: string): Promise<SwarmServiceInfo | null> {
  try {
    return (await docker.getService(idOrName).inspect()) as SwarmServiceInfo;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

export async function tasksOf(serviceId: string): Promise<SwarmTask[]> {
  return (await docker.listTasks({ filters: { service: [serviceId] } })) as SwarmTask[];
}

/** Containers of a swarm service, running or not (task containers carry the service id label). */
export async function serviceContainers(serviceId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${serviceId}`] } });
}

export async function runningContainersOf(serviceId: string): Promise<number> {
  return (await serviceContainers(serviceId)).filter((c) => c.State === 'running').length;
}

/** Waits until exactly `count` task containers of the service run (swarm converges asynchronously). */
export async function untilRunning(serviceId: string, count: number, timeoutMs = 60_000): Promise<void> {
  await eventually(
    `${count} running container(s) of service ${serviceId}`,
    async () => ((await runningContainersOf(serviceId)) === count ? true : undefined),
    timeoutMs,
  );
}

/** Removes every swarm service the LM made for `uuids`, and waits for their containers to go (test cleanup). */
export async function removeServicesOf(uuids: string[]): Promise<void> {
  for (const uuid of uuids) {
    for (const service of await servicesOf(uuid).catch(() => [])) {
      await docker
        .getService(service.ID)
        .remove()
        .catch(() => undefined);
      await eventually(
        `containers of ${service.ID} gone`,
        async () => ((await serviceContainers(service.ID)).length === 0 ? true : undefined),
        60_000,
      ).catch(() => undefined);
    }
  }
}
