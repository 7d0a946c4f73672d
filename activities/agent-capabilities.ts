/**
 * What this agent's LM can run: its exec types, and whether its Docker engine is a swarm manager (needed by
 * docker-swarm and docker-compose-swarm). The selection's runtime capability check and `check-agent-swarm` read it.
 */
import type Docker from 'dockerode';
import type { LmConfig } from '../common/config';
import type { AgentCapabilities } from '../workflows/model/peers';
import { errorMessage } from './failures';
import { createDockerClient } from './runtime/docker/docker-client';
import { assertSwarmManager } from './runtime/swarm/swarm-manager-check';
import { SUPPORTED_EXEC_TYPES } from './supported-exec-types';
import { FailureType } from '../workflows/model/failures';

/** The original's three answers of `check-agent-swarm` (spec/original-lm.md §7.2 (6)). */
export async function swarmSupport(docker: Docker, socket: string, agentIp: string): Promise<{ result: boolean; message: string }> {
  try {
    await assertSwarmManager(docker, socket, agentIp);
    return { result: true, message: 'docker swarm supported' };
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === FailureType.NotSupported) return { result: false, message: 'docker swarm not supported' };
    return { result: false, message: `docker client error: ${errorMessage(err)}` };
  }
}

export function createCapabilityActivities(config: LmConfig) {
  const docker = createDockerClient(config.docker.socket, config.docker.timeoutMs);
  return {
    async agentCapabilities(): Promise<AgentCapabilities> {
      const swarm = await swarmSupport(docker, config.docker.socket, config.hostIp);
      return { execTypes: [...SUPPORTED_EXEC_TYPES], swarmManager: swarm.result, swarmMessage: swarm.message };
    },
  };
}

export type CapabilityActivities = ReturnType<typeof createCapabilityActivities>;
