/** The activities an agent's LM worker serves on its own queue: everything that touches its runtimes. */
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { createCapabilityActivities } from './agent-capabilities';
import { createCompssActivities } from './compss/compss-activities';
import { createComposeRuntimes } from './runtime/compose/create-compose-runtimes';
import { createKubernetesRuntime } from './runtime/kubernetes/create-kubernetes-runtime';
import { createSwarmRuntime } from './runtime/swarm/create-swarm-runtime';
import { createDockerClient } from './runtime/docker/docker-client';
import { ContainerRuntime } from './runtime/docker/container-runtime';
import { createRuntimeActivities } from './runtime/runtime-activities';
import type { RuntimeRegistry } from './runtime/runtime-registry';
import type { InstanceHome } from './runtime/workload';

export interface AgentActivityDeps {
  config: LmConfig;
  logger: Logger;
}

export function createRuntimeRegistry({ config }: Pick<AgentActivityDeps, 'config'>): RuntimeRegistry {
  const containers = new ContainerRuntime({
    docker: createDockerClient(config.docker.socket, config.docker.timeoutMs),
    pullDocker: createDockerClient(config.docker.socket),
    socket: config.docker.socket,
    hostIp: config.hostIp,
    cimiUrl: config.cimi?.url ?? null,
    compss: config.compss,
    pullLimits: config.pull,
    minRunMs: config.minRunMs,
  });
  return {
    docker: containers,
    compss: containers,
    ...createComposeRuntimes(config),
    'docker-swarm': createSwarmRuntime(config),
    kubernetes: createKubernetesRuntime(config),
  };
}

/** `registry`: this agent's runtimes, shared with the reaper; `home`: where this LM's instances live. */
export function createAgentActivities(deps: AgentActivityDeps, registry: RuntimeRegistry, home: InstanceHome) {
  return {
    ...createRuntimeActivities(registry, home, deps.logger),
    ...createCompssActivities(deps.config.httpTimeoutMs),
    ...createCapabilityActivities(deps.config),
  };
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;
