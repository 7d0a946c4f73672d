/**
 * Every runtime of this agent that publishes host ports (containers, swarm services) chooses them under one
 * lock; ports chosen for a workload still being created stay reserved here until Docker itself holds them.
 *
 * Docker may be read outside the lock (a container deploy does, so deploys do not queue behind each other's
 * listings): a read that began before a container was created cannot show its ports, so the ports handed over
 * to Docker since a read began still count as taken for the choice made from that read.
 */
import { Mutex } from 'async-mutex';

export const hostPortLock = new Mutex();
export const reservedHostPorts = new Set<number>();

/** Ports handed from a reservation to a created container, by the handover's sequence number. */
const handedOver: Array<{ port: number; seq: number }> = [];
let handovers = 0;
/** Reads of Docker still in use, by the sequence number at their start. */
const openReads: number[] = [];

export interface DockerRead {
  /** Ports handed over to Docker since this read began: it may not show them. */
  handedOverSince(): number[];
  end(): void;
}

export function beginDockerRead(): DockerRead {
  const at = handovers;
  openReads.push(at);
  return {
    handedOverSince: () => handedOver.filter((entry) => entry.seq >= at).map((entry) => entry.port),
    end() {
      openReads.splice(openReads.indexOf(at), 1);
      const oldest = openReads.length === 0 ? Infinity : Math.min(...openReads);
      while (handedOver.length > 0 && handedOver[0].seq < oldest) handedOver.shift();
    },
  };
}

/** The container that holds `ports` now exists: its label holds them from here on. */
export function handOverToDocker(ports: readonly number[]): void {
  for (const port of ports) {
    reservedHostPorts.delete(port);
    if (openReads.length > 0) handedOver.push({ port, seq: handovers });
  }
  handovers += 1;
}

/** Nothing was created for `ports`: they are free again. */
export function releaseReservation(ports: readonly number[]): void {
  for (const port of ports) reservedHostPorts.delete(port);
}
