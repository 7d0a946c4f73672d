/** Which host ports are taken: by Docker (published, or reserved by a stopped LM container) or by anything else. */
import net from 'node:net';
import type Docker from 'dockerode';

/** Label on LM containers listing their host ports, so a stopped container keeps its ports reserved. */
export const HOST_PORTS_LABEL = 'lm.host-ports';

export async function portsKnownToDocker(docker: Docker): Promise<Set<number>> {
  const taken = new Set<number>();
  for (const container of await docker.listContainers({ all: true })) {
    for (const port of container.Ports ?? []) if (port.PublicPort) taken.add(port.PublicPort);
    for (const port of parsePortsLabel(container.Labels?.[HOST_PORTS_LABEL])) taken.add(port);
  }
  return taken;
}

interface ServicePorts {
  Endpoint?: { Ports?: Array<{ PublishedPort?: number }> };
  Spec?: { EndpointSpec?: { Ports?: Array<{ PublishedPort?: number }> } };
}

/**
 * Ingress ports of swarm services are reserved on every node from creation on, even with 0 replicas, with no
 * listener to probe. Outside a swarm (or on a worker, which cannot list services) there are none to know of.
 */
export async function portsPublishedBySwarm(docker: Docker): Promise<Set<number>> {
  const taken = new Set<number>();
  let services: ServicePorts[];
  try {
    services = (await docker.listServices()) as ServicePorts[];
  } catch {
    return taken;
  }
  for (const service of services) {
    for (const port of [...(service.Endpoint?.Ports ?? []), ...(service.Spec?.EndpointSpec?.Ports ?? [])]) {
      if (port.PublishedPort) taken.add(port.PublishedPort);
    }
  }
  return taken;
}

export function parsePortsLabel(label: string | undefined): number[] {
  if (!label) return [];
  return label
    .split(',')
    .map(Number)
    .filter((port) => Number.isInteger(port) && port > 0);
}

/** A listener that is not a container (or a container on another network namespace) shows up here. */
export function isBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Bind checks for every candidate port are too slow to do one by one; probe a window at once. */
export async function unbindablePorts(candidates: Iterable<number>): Promise<Set<number>> {
  const list = [...candidates];
  const results = await Promise.all(list.map(isBindable));
  return new Set(list.filter((_, i) => !results[i]));
}
