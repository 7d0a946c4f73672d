/** `docker stack` works only on a swarm manager: say so plainly instead of passing on the CLI's error. */
import type Docker from 'dockerode';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { swarmRole } from '../swarm/swarm-role';

export { swarmRole } from '../swarm/swarm-role';

export const NOT_A_MANAGER = 'docker-compose-swarm needs a swarm manager: run docker swarm init or deploy on a manager';

export async function requireSwarmManager(docker: Docker, socket: string, agent: string): Promise<void> {
  const role = await swarmRole(docker, socket);
  if (role !== 'manager') {
    throw failure(
      FailureType.NotSupported,
      `${NOT_A_MANAGER} (agent ${agent} is ${role === 'worker' ? 'a swarm worker' : 'not in a swarm'})`,
    );
  }
}
