/**
 * What this agent's LM can run: its exec types, and whether its Docker engine is a swarm manager (needed by
 * docker-swarm and docker-compose-swarm). The selection's runtime capability check and `check-agent-swarm` read it,
 * and the agent's presence check reports which runtimes answer now (the agents endpoint and placement use it).
 */
import type Docker from 'dockerode';
import type { LmConfig } from '../common/config';
import type { AgentRuntimes, RuntimeAvailability } from '../workflows/model/agents';
import type { AgentCapabilities } from '../workflows/model/peers';
import { errorMessage } from './failures';
import { createDockerClient } from './runtime/docker/docker-client';
import { createKubernetesClients } from './runtime/kubernetes/kubernetes-clients';
import { chooseKubernetesConnection } from './runtime/kubernetes/kubernetes-connection';
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

const PROBE_TIMEOUT_MS = 3_000;

async function dockerAvailability(docker: Docker, socket: string): Promise<RuntimeAvailability> {
  try {
    const version = await docker.version();
    return { available: true, message: `Docker Engine ${version.Version} at ${socket}` };
  } catch (err) {
    return {
      available: false,
      message: `the Docker engine at ${socket} does not answer (${errorMessage(err)}): start dockerd or fix DOCKER_SOCKET`,
    };
  }
}

/** Reaching the LM's own Deployments is what the kubernetes runtime needs; only a Kubernetes master offers it. */
async function kubernetesAvailability(config: LmConfig): Promise<RuntimeAvailability> {
  if (!config.kubernetes.master) return { available: false, message: 'not a Kubernetes master (K8S_MASTER=false)' };
  try {
    const clients = createKubernetesClients(chooseKubernetesConnection(config.kubernetes.proxy), PROBE_TIMEOUT_MS);
    await clients.apps.listNamespacedDeployment({ namespace: config.kubernetes.namespace, limit: 1 });
    return { available: true, message: `the Kubernetes API at ${clients.server}, namespace ${config.kubernetes.namespace}` };
  } catch (err) {
    return { available: false, message: `the Kubernetes API does not answer (${errorMessage(err)}): check the kubeconfig or K8S_PROXY` };
  }
}

/** Which of this agent's runtimes answer now. */
export function runtimeProbe(config: LmConfig): () => Promise<AgentRuntimes> {
  const docker = createDockerClient(config.docker.socket, PROBE_TIMEOUT_MS);
  return async () => {
    const [engine, kubernetes] = await Promise.all([dockerAvailability(docker, config.docker.socket), kubernetesAvailability(config)]);
    let swarm: RuntimeAvailability = { available: false, message: 'needs the Docker engine, which does not answer' };
    if (engine.available) {
      const support = await swarmSupport(docker, config.docker.socket, config.hostIp);
      swarm = { available: support.result, message: support.result ? 'a swarm manager' : support.message };
    }
    return { docker: engine, swarm, kubernetes };
  };
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
