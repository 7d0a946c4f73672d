/**
 * The two workers of one LM process (DESIGN §4): the workflow queue, where instances are orchestrated,
 * and this agent's own queue, where the effects on this agent's runtimes happen.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createAgentActivities } from '../activities/agent-activities';
import { createOrchestrationActivities } from '../activities/orchestration-activities';
import type { LmConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import type { RuntimeEventFollower } from '../activities/runtime/runtime-events';
import { startRuntimeWatcher } from './runtime-watcher';
import { workflowSource } from './workflow-source';

export interface LmWorkers {
  workflowWorker: Worker;
  agentWorker: Worker;
  /** Follows this agent's Docker events and Kubernetes Deployments (LM_WATCH_*); stop it when the workers stop. */
  watcher: RuntimeEventFollower | null;
}

export interface WorkerOverrides {
  /** Tests bundle the workflow sources once and share the bundle. */
  workflowBundle?: { code: string };
}

export async function createWorkers(
  connection: NativeConnection,
  config: LmConfig,
  logger: Logger,
  overrides: WorkerOverrides = {},
): Promise<LmWorkers> {
  const namespace = config.temporal.namespace;
  const workflowWorker = await Worker.create({
    connection,
    namespace,
    taskQueue: WORKFLOW_TASK_QUEUE,
    ...(overrides.workflowBundle ? { workflowBundle: overrides.workflowBundle } : workflowSource()),
    // Calls to the mF2C peers and other LMs run where the workflow is orchestrated.
    activities: createOrchestrationActivities({ config, connection }),
    // Instances idle most of their life: a bounded cache keeps the worker small, evicted ones are replayed.
    maxCachedWorkflows: config.maxCachedWorkflows,
    shutdownGraceTime: '30 seconds',
  });
  const agentWorker = await Worker.create({
    connection,
    namespace,
    taskQueue: agentTaskQueue(config.hostIp),
    activities: createAgentActivities({ config, logger }),
    // Bounds the concurrent Docker calls on this agent.
    maxConcurrentActivityTaskExecutions: 20,
    shutdownGraceTime: '30 seconds',
  });
  const watcher = startRuntimeWatcher(connection, config, logger);
  return { workflowWorker, agentWorker, watcher };
}
