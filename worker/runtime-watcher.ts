/**
 * Follows this agent's runtimes as they report changes (the local Docker engine's events; the Kubernetes
 * cluster's Deployment watch) and has the agent's sweep check the instance concerned at once, so a crash shows
 * within a second (DESIGN §3: never report `started` for an agent that is not running). Only an instance whose
 * workload no longer matches what it recorded is woken; it then observes its agents itself.
 */
import { followContainerEvents } from '../activities/runtime/docker/container-events';
import { createDockerClient } from '../activities/runtime/docker/docker-client';
import { followDeploymentEvents } from '../activities/runtime/kubernetes/deployment-events';
import { chooseKubernetesConnection } from '../activities/runtime/kubernetes/kubernetes-connection';
import type { RuntimeEventFollower } from '../activities/runtime/runtime-events';
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { WorkloadSweep } from './workload-sweep';

const DEBOUNCE_MS = 500;

/** The followers the configuration asks for (LM_WATCH_DOCKER_EVENTS, LM_WATCH_KUBERNETES); null: none. */
export function startRuntimeWatcher(sweep: WorkloadSweep, config: LmConfig, logger: Logger): RuntimeEventFollower | null {
  const onChanged = (uuid: string): void => sweep.check(uuid);
  const followers: RuntimeEventFollower[] = [];
  if (config.watchDockerEvents) {
    followers.push(
      followContainerEvents({
        // No call timeout: the event stream stays open for the life of the worker.
        docker: createDockerClient(config.docker.socket),
        logger,
        debounceMs: DEBOUNCE_MS,
        onChanged,
        onConnected: () => {
          sweep.sweep().catch((err: unknown) => logger.warn({ err }, 'the sweep after connecting to Docker events failed'));
        },
      }),
    );
  }
  if (config.watchKubernetes) {
    followers.push(
      followDeploymentEvents({
        connection: chooseKubernetesConnection(config.kubernetes.proxy),
        namespace: config.kubernetes.namespace,
        requestTimeoutMs: config.httpTimeoutMs,
        logger,
        debounceMs: DEBOUNCE_MS,
        onChanged,
      }),
    );
  }
  if (followers.length === 0) return null;
  return { stop: () => followers.forEach((follower) => follower.stop()) };
}
