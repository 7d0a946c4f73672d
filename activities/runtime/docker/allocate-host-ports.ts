/** Applies the port rule against the live host: Docker's view first, then a bind check of the choice. */
import type Docker from 'dockerode';
import { choosePorts, type PortMapping } from './port-rule';
import { portsKnownToDocker, portsPublishedBySwarm, unbindablePorts } from './host-ports';
import { beginDockerRead, hostPortLock, releaseReservation, reservedHostPorts } from './host-port-reservations';

const MAX_ROUNDS = 50;

async function portsTakenInDocker(docker: Docker): Promise<Set<number>> {
  const [containers, services] = await Promise.all([portsKnownToDocker(docker), portsPublishedBySwarm(docker)]);
  return new Set([...containers, ...services]);
}

function exhausted(requested: readonly number[]): Error {
  return new Error(`could not find free host ports for ${requested.join(', ')} after ${MAX_ROUNDS} attempts`);
}

/** `reserved`: ports this process has promised to a workload it is still creating. For callers holding hostPortLock. */
export async function allocateHostPorts(
  docker: Docker,
  requested: readonly number[],
  reserved: ReadonlySet<number> = new Set(),
): Promise<PortMapping[]> {
  if (requested.length === 0) return [];
  const taken = new Set([...(await portsTakenInDocker(docker)), ...reserved]);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const mappings = choosePorts(requested, (port) => taken.has(port));
    const busy = await unbindablePorts(mappings.map((m) => m.host));
    if (busy.size === 0) return mappings;
    for (const port of busy) taken.add(port);
  }
  throw exhausted(requested);
}

/**
 * Chooses and reserves free host ports for `requested` without holding hostPortLock while Docker is read or the
 * choice is bind-checked: the lock covers only the choice among what is known and its reservation. The caller
 * hands the ports over once its container exists (handOverToDocker), or releases them (releaseReservation).
 */
export async function reserveHostPorts(docker: Docker, requested: readonly number[]): Promise<PortMapping[]> {
  if (requested.length === 0) return [];
  const read = beginDockerRead();
  try {
    const inDocker = await portsTakenInDocker(docker);
    const refused = new Set<number>();
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const mappings = await hostPortLock.runExclusive(() => {
        const taken = new Set([...inDocker, ...reservedHostPorts, ...read.handedOverSince(), ...refused]);
        const chosen = choosePorts(requested, (port) => taken.has(port));
        for (const { host } of chosen) reservedHostPorts.add(host);
        return chosen;
      });
      const busy = await unbindablePorts(mappings.map((m) => m.host));
      if (busy.size === 0) return mappings;
      releaseReservation(mappings.map((m) => m.host));
      for (const port of busy) refused.add(port);
    }
    throw exhausted(requested);
  } finally {
    read.end();
  }
}
