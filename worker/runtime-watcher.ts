/**
 * Tells an instance at once when the local Docker engine reports a change to one of its containers, so a
 * crash shows within a second instead of at the instance's next periodic observation (DESIGN §3: never
 * report `started` for an agent that is not running). The workflow then observes its agents itself.
 */
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { followContainerEvents, type ContainerEventFollower } from '../activities/runtime/docker/container-events';
import { createDockerClient } from '../activities/runtime/docker/docker-client';
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { runtimeChangedSignal } from '../workflows/messages';
import { instanceIdOf } from '../workflows/model/instance';

const DEBOUNCE_MS = 500;

export function startRuntimeWatcher(connection: NativeConnection, config: LmConfig, logger: Logger): ContainerEventFollower {
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return followContainerEvents({
    // No call timeout: the event stream stays open for the life of the worker.
    docker: createDockerClient(config.docker.socket),
    logger,
    debounceMs: DEBOUNCE_MS,
    onChanged: (uuid) => {
      client.workflow
        .getHandle(instanceIdOf(uuid))
        .signal(runtimeChangedSignal)
        .catch((err: unknown) => {
          // A terminated instance's last containers still report their removal.
          if (err instanceof WorkflowNotFoundError) return;
          logger.warn({ err, uuid }, 'could not tell the instance its containers changed; its periodic observation will');
        });
    },
  });
}
