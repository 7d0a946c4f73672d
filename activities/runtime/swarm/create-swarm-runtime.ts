/** The `docker-swarm` runtime of this agent, on its own Docker engine (which must be a swarm manager). */
import type { LmConfig } from '../../../common/config';
import { createDockerClient } from '../docker/docker-client';
import { SwarmRuntime } from './swarm-runtime';

export function createSwarmRuntime(config: LmConfig): SwarmRuntime {
  return new SwarmRuntime({ docker: createDockerClient(config.docker.socket, config.docker.timeoutMs), socket: config.docker.socket });
}
