/** The `docker-compose` and `docker-compose-swarm` runtimes of this agent, built from its configuration. */
import type { LmConfig } from '../../../common/config';
import type { Logger } from '../../../common/logger';
import { ComposeStackRuntime } from '../compose-swarm/compose-stack-runtime';
import { createDockerClient } from '../docker/docker-client';
import type { RuntimeRegistry } from '../runtime-registry';
import { ComposeRuntime } from './compose-runtime';
import { DEFAULT_COMPOSE_FETCH_LIMITS, type ComposeFetchLimits } from './fetch-compose-file';

/** Compose's default per-call timeout; never below it, however short LM_DOCKER_TIMEOUT_MS is. */
const MIN_COMPOSE_HTTP_TIMEOUT_S = 60;

export function createComposeRuntimes(config: LmConfig, logger: Logger): RuntimeRegistry {
  const docker = createDockerClient(config.docker.socket, config.docker.timeoutMs);
  const fetchLimits: ComposeFetchLimits = { ...DEFAULT_COMPOSE_FETCH_LIMITS, timeoutMs: config.httpTimeoutMs };
  const shared = { docker, socket: config.docker.socket, workingDir: config.workingDir, allowPrivileged: config.allowPrivileged, fetchLimits };
  return {
    'docker-compose': new ComposeRuntime({
      ...shared,
      pullDocker: createDockerClient(config.docker.socket),
      composeHttpTimeoutS: Math.max(MIN_COMPOSE_HTTP_TIMEOUT_S, Math.ceil(config.docker.timeoutMs / 1000)),
      onProgress: (detail) => logger.debug({ detail }, 'compose image pull'),
    }),
    'docker-compose-swarm': new ComposeStackRuntime(shared),
  };
}
