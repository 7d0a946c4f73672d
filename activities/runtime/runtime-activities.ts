/**
 * The activities that act on one agent's workloads. They run on that agent's task queue, heartbeat while
 * they work (so a killed worker is noticed in seconds, not at the start-to-close timeout), and are idempotent.
 */
import { heartbeat } from '@temporalio/activity';
import type { AgentStatus } from '../../workflows/model/status';
import { runtimeFor, type RuntimeRegistry } from './runtime-registry';
import type { DeployedWorkload, WorkloadRef, WorkloadSpec } from './workload';

const HEARTBEAT_EVERY_MS = 2_000;

async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  heartbeat();
  const timer = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createRuntimeActivities(registry: RuntimeRegistry) {
  const runtime = (spec: WorkloadSpec) => runtimeFor(registry, spec.service.exec_type, spec.agentUrl);
  return {
    async deployWorkload(spec: WorkloadSpec): Promise<DeployedWorkload> {
      return whileHeartbeating(() => runtime(spec).deploy(spec));
    },
    async startWorkload(ref: WorkloadRef): Promise<DeployedWorkload | null> {
      return (await whileHeartbeating(() => runtime(ref).start(ref))) ?? null;
    },
    async stopWorkload(ref: WorkloadRef): Promise<void> {
      return whileHeartbeating(() => runtime(ref).stop(ref));
    },
    async removeWorkload(ref: WorkloadRef): Promise<void> {
      return whileHeartbeating(() => runtime(ref).remove(ref));
    },
    async observeWorkload(ref: WorkloadRef): Promise<AgentStatus> {
      return whileHeartbeating(() => runtime(ref).observe(ref));
    },
  };
}

export type RuntimeActivities = ReturnType<typeof createRuntimeActivities>;
