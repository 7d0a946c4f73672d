/** Whether this agent's Docker engine is a swarm manager, a worker, or not in a swarm. */
import type Docker from 'dockerode';
import { classifyDockerError } from '../docker/docker-errors';

export type SwarmRole = 'manager' | 'worker' | 'inactive';

interface EngineInfo {
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
}

export async function swarmRole(docker: Docker, socket: string): Promise<SwarmRole> {
  let info: EngineInfo;
  try {
    info = (await docker.info()) as EngineInfo;
  } catch (err) {
    throw classifyDockerError(err, 'read the swarm state (docker info)', socket);
  }
  if (info.Swarm?.LocalNodeState !== 'active') return 'inactive';
  return info.Swarm.ControlAvailable === true ? 'manager' : 'worker';
}
