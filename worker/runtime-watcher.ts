/**
 * Tells an instance at once when its runtime reports a change (the local Docker engine's events; the
 * Kubernetes cluster's Deployment watch), so a crash shows within a second instead of at the instance's next
 * periodic observation (DESIGN §3: never report `started` for an agent that is not running). The workflow
 * then observes its agents itself.
 */
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { followContainerEvents } from '../activities/runtime/docker/container-events';
import { createDockerClient } from '../activities/runtime/docker/docker-client';
import { followDeploymentEvents } from '../activities/runtime/kubernetes/deployment-events';
import { chooseKubernetesConnection } from '../activities/runtime/kubernetes/kubernetes-connection';
import type { RuntimeEventFollower } from '../activities/runtime/runtime-events';
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { runtimeChangedSignal } from '../workflows/messages';
import { instanceIdOf } from '../workflows/model/instance';

const DEBOUNCE_MS = 500;

/** The followers the configuration asks for (LM_WATCH_DOCKER_EVENTS, LM_WATCH_KUBERNETES); null: none. */
export function startRuntimeWatcher(connection: NativeConnection, config: LmConfig, logger: Logger): RuntimeEventFollower | null {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const onChanged = (uuid: string): void => {
    client.workflow
      .getHandle(instanceIdOf(uuid))
      .signal(runtimeChangedSignal)
      .catch((err: unknown) => {
        // A terminated instance's last containers still report their removal.
        if (err instanceof WorkflowNotFoundError) return;
        logger.warn({ err, uuid }, 'could not tell the instance its workload changed; its periodic observation will');
      });
  };
  const followers: RuntimeEventFollower[] = [];
  if (config.watchDockerEvents) {
    // No call timeout: the event stream stays open for the life of the worker.
    followers.push(followContainerEvents({ docker: createDockerClient(config.docker.socket), logger, debounceMs: DEBOUNCE_MS, onChanged }));
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
