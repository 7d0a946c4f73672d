/** Applies the port rule against the live host: Docker's view first, then a bind check of the choice. */
import type Docker from 'dockerode';
import { choosePorts, type PortMapping } from './port-rule';
import { portsKnownToDocker, portsPublishedBySwarm, unbindablePorts } from './host-ports';

const MAX_ROUNDS = 50;

/** `reserved`: ports this process has promised to a container it is still creating. */
export async function allocateHostPorts(
  docker: Docker,
  requested: readonly number[],
  reserved: ReadonlySet<number> = new Set(),
): Promise<PortMapping[]> {
  if (requested.length === 0) return [];
  const taken = new Set([...(await portsKnownToDocker(docker)), ...(await portsPublishedBySwarm(docker)), ...reserved]);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const mappings = choosePorts(requested, (port) => taken.has(port));
    const busy = await unbindablePorts(mappings.map((m) => m.host));
    if (busy.size === 0) return mappings;
    for (const port of busy) taken.add(port);
  }
  throw new Error(`could not find free host ports for ${requested.join(', ')} after ${MAX_ROUNDS} attempts`);
}
