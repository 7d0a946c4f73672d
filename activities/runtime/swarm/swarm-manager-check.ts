/** Swarm services can only be managed from a swarm manager: say so before creating anything. */
import type Docker from 'dockerode';
import { notSwarmManager } from './swarm-errors';
import { swarmRole } from './swarm-role';

export async function assertSwarmManager(docker: Docker, socket: string, agent: string): Promise<void> {
  const role = await swarmRole(docker, socket);
  if (role === 'inactive') throw notSwarmManager(agent, socket, 'it is not in a swarm');
  if (role === 'worker') throw notSwarmManager(agent, socket, 'it is a swarm worker');
}
