/**
 * The workers of one LM process (DESIGN §4): the workflow queue, where instances are orchestrated (the `full`
 * role only), this agent's own queue, where the effects on this agent's runtimes happen, and its presence queue,
 * where it answers the cluster's presence check of this agent.
 */
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createAgentActivities, createRuntimeRegistry } from '../activities/agent-activities';
import { createPresenceActivities, presenceHeartbeatMs, type PresenceTiming } from '../activities/agent-presence';
import type { RuntimeRegistry } from '../activities/runtime/runtime-registry';
import type { WorkloadRuntime } from '../activities/runtime/workload';
import { createOrchestrationActivities } from '../activities/orchestration-activities';
import { createReadModelActivities } from '../activities/read-model-activities';
import type { LmConfig } from '../common/config';
import { openReadModel } from '../common/read-model/open-read-model';
import type { ReadModelStore } from '../common/read-model/read-model-store';
import type { Logger } from '../common/logger';
import { agentPresenceTaskQueue, agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../workflows/model/task-queues';
import type { RuntimeEventFollower } from '../activities/runtime/runtime-events';
import { introduceAgent, workerIdentity } from './agent-registration';
import { instanceHome } from './instance-home';
import { startRuntimeWatcher } from './runtime-watcher';
import { startWorkloadSweep, type WorkloadSweep } from './workload-sweep';
import { workflowSource } from './workflow-source';

export interface LmWorkers {
  /** Null in the `agent` role: the cluster's `full` LMs orchestrate. */
  workflowWorker: Worker | null;
  agentWorker: Worker;
  presenceWorker: Worker;
  /** Every worker above, to run and to shut down together. */
  all: Worker[];
  /** Follows this agent's Docker events and Kubernetes Deployments (LM_WATCH_*); stop it when the workers stop. */
  watcher: RuntimeEventFollower | null;
  /** Compares this agent's workloads with their instances and removes orphans (LM_SWEEP_INTERVAL_S). Stop it with the workers. */
  sweep: WorkloadSweep;
  /** Where the workflows project their instances (the `full` role only); close it once the workers have stopped. */
  readModel: ReadModelStore | null;
  /** The workers' Temporal identity, which this LM introduced itself with to its agent's presence workflow. */
  identity: string;
}

export interface WorkerOverrides {
  /** Tests bundle the workflow sources once and share the bundle. */
  workflowBundle?: { code: string };
  /** Tests probe the runtimes more often. */
  presenceTiming?: PresenceTiming;
}

export async function createWorkers(
  connection: NativeConnection,
  config: LmConfig,
  logger: Logger,
  overrides: WorkerOverrides = {},
): Promise<LmWorkers> {
  const namespace = config.temporal.namespace;
  const identity = workerIdentity(config);
  const readModel = config.role === 'full' ? await openReadModel(config.readModel) : null;
  const workflowWorker =
    readModel !== null
      ? await Worker.create({
          connection,
          namespace,
          identity,
          taskQueue: WORKFLOW_TASK_QUEUE,
          ...(overrides.workflowBundle ? { workflowBundle: overrides.workflowBundle } : workflowSource()),
          // Calls to the mF2C peers and other LMs run where the workflow is orchestrated, and so does the
          // projection into the read model (a local activity).
          activities: { ...createOrchestrationActivities({ config, connection }), ...createReadModelActivities(readModel) },
          // Instances idle most of their life: a bounded cache keeps the worker small, evicted ones are replayed.
          maxCachedWorkflows: config.maxCachedWorkflows,
          workflowThreadPoolSize: config.workflowThreads,
          maxConcurrentWorkflowTaskExecutions: config.workflowTaskSlots,
          shutdownGraceTime: '30 seconds',
        })
      : null;
  const home = await instanceHome(connection, namespace);
  const registry = createRuntimeRegistry({ config });
  const agentWorker = await Worker.create({
    connection,
    namespace,
    identity,
    taskQueue: agentTaskQueue(config.hostIp),
    activities: createAgentActivities({ config, logger }, registry, home),
    // Bounds the concurrent Docker calls on this agent; steps beyond wait in its queue (a busy agent is not away).
    maxConcurrentActivityTaskExecutions: config.agentActivitySlots,
    // A cancellation (a terminate preempting a step) arrives only in a heartbeat's answer: send them every 2 s
    // instead of the SDK's 0.8 × heartbeat timeout, so a cancelled step stops within seconds.
    maxHeartbeatThrottleInterval: '2 seconds',
    defaultHeartbeatThrottleInterval: '2 seconds',
    shutdownGraceTime: '30 seconds',
  });
  const presenceWorker = await Worker.create({
    connection,
    namespace,
    identity,
    taskQueue: agentPresenceTaskQueue(config.hostIp),
    activities: createPresenceActivities(config, overrides.presenceTiming),
    // One check runs at a time; a few spare slots take the next check while the last one reports.
    maxConcurrentActivityTaskExecutions: 4,
    // The SDK would send heartbeats every 0.8 × LM_AGENT_LOST_S, so a heartbeat late by a fifth of it (a busy
    // Temporal, a slow moment of this process) lost a live agent: send them every third of it instead.
    maxHeartbeatThrottleInterval: presenceHeartbeatMs(config.agentLostMs),
    defaultHeartbeatThrottleInterval: presenceHeartbeatMs(config.agentLostMs),
    // No grace: the running check hears of the shutdown at once and reports this LM as stopping, not lost.
    shutdownGraceTime: 0,
  });
  await introduceAgent(connection, config, identity);
  const sweep = startWorkloadSweep({
    client: new Client({ connection, namespace }),
    agentIp: config.hostIp,
    registry,
    runtimes: sweptRuntimes(registry, config),
    home,
    intervalMs: config.sweepIntervalMs,
    graceMs: config.reapGraceMs,
    logger,
    meter: Runtime.instance().metricMeter,
  });
  const watcher = startRuntimeWatcher(sweep, config, logger);
  const all = [workflowWorker, agentWorker, presenceWorker].filter((worker): worker is Worker => worker !== null);
  return { workflowWorker, agentWorker, presenceWorker, all, watcher, sweep, readModel, identity };
}

/** Each runtime once; Kubernetes only on an agent that has a cluster (as its watch), else every sweep would fail to reach it. */
function sweptRuntimes(registry: RuntimeRegistry, config: LmConfig): WorkloadRuntime[] {
  const { kubernetes, ...docker } = registry;
  const runtimes = new Set(Object.values(docker));
  if (kubernetes && (config.kubernetes.master || config.watchKubernetes)) runtimes.add(kubernetes);
  return [...runtimes];
}
