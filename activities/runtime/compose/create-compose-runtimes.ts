/** The `docker-compose` and `docker-compose-swarm` runtimes of this agent, built from its configuration. */
import type { LmConfig } from '../../../common/config';
import { ComposeStackRuntime } from '../compose-swarm/compose-stack-runtime';
import { createDockerClient } from '../docker/docker-client';
import type { RuntimeRegistry } from '../runtime-registry';
import { ComposeRuntime } from './compose-runtime';
import { composeFetchLimits } from './fetch-compose-file';

/** Compose's default per-call timeout; never below it, however short LM_DOCKER_TIMEOUT_MS is. */
const MIN_COMPOSE_HTTP_TIMEOUT_S = 60;

export function createComposeRuntimes(config: LmConfig): RuntimeRegistry {
  const docker = createDockerClient(config.docker.socket, config.docker.timeoutMs);
  const fetchLimits = composeFetchLimits(config);
  const shared = {
    docker,
    socket: config.docker.socket,
    workingDir: config.workingDir,
    allowPrivileged: config.allowPrivileged,
    fetchLimits,
  };
  return {
    'docker-compose': new ComposeRuntime({
      ...shared,
      pullDocker: createDockerClient(config.docker.socket),
      composeHttpTimeoutS: Math.max(MIN_COMPOSE_HTTP_TIMEOUT_S, Math.ceil(config.docker.timeoutMs / 1000)),
      pullLimits: config.pull,
    }),
    'docker-compose-swarm': new ComposeStackRuntime(shared),
  };
}
