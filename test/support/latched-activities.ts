/**
 * Activities of the test's own for workflow-level tests of the real service-instance workflow: the runtime
 * steps and the CIMI mirror succeed at once and record what they were asked, unless the test holds them on a
 * latch. Not a Temporal double: they run on a real dev server, under the workflow's real activity names.
 */
import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { DeployedWorkload, WorkloadRef, WorkloadSpec } from '../../activities/runtime/workload';
import type { InstanceProjection } from '../../workflows/model/projection';
import { stopUpdate } from '../../workflows/messages';
import type { ServiceInstanceInput } from '../../workflows/model/input';
import { instanceIdOf, type ServiceInstance } from '../../workflows/model/instance';
import type { AgentStatus } from '../../workflows/model/status';
import { agentTaskQueue, WORKFLOW_TASK_QUEUE } from '../../workflows/model/task-queues';
import { serviceInstanceWorkflow } from '../../workflows/service-instance.workflow';
import { eventually } from './eventually';
import { latch, type Latch } from './latch';
import { ensureTestRuntime, workflowBundle } from './lm-harness';
import { ensureSearchAttributes } from '../../common/search-attribute-registration';
import { startDevServer } from './dev-server';

export interface LatchedActivities {
  /** What the runtime activities were asked, in order ("stop lm-…-0"). */
  calls: string[];
  /** The statuses sent to CIMI, in order. */
  mirrored: string[];
  /** While set, a mirror of the instance in this status waits for the latch. */
  holdMirrorOf: { status: string; gate: Latch } | null;
  /** While set, a stop waits for the latch (heartbeating). */
  holdStop: Latch | null;
  /** The projections the read model was sent, in order (taken once their hold, if any, is released). */
  projected: InstanceProjection[];
  /** While set, a projection waits for the latch (a local activity: it holds its workflow task meanwhile). */
  holdProjection: Latch | null;
  reset(): void;
}

/** Waits for `gate`, heartbeating, so a held runtime activity is not taken for a lost worker. */
async function heldBy(gate: Latch): Promise<void> {
  const beat = setInterval(() => Context.current().heartbeat(), 1_000);
  try {
    await gate.wait();
  } finally {
    clearInterval(beat);
  }
}

export const LATCHED_AGENT = '127.0.0.61';

/** A docker instance on LATCHED_AGENT, mirrored to CIMI (what the continue-as-new flush waits for). */
export function latchedInstanceInput(uuid: string): ServiceInstanceInput {
  return {
    uuid,
    service: {
      name: 'latched',
      exec: 'lm-test/busybox',
      exec_type: 'docker',
      exec_ports: [],
      category: 0,
      num_agents: 1,
      agent_type: 'normal',
    },
    user: 'tester',
    slaTemplate: null,
    agents: [{ agent_ip: LATCHED_AGENT }],
    device: { id: 'not-defined', ip: LATCHED_AGENT },
    settings: { agentTimeoutMs: 5_000, allOrNothing: false },
    peers: { cimi: true, sla: false, userManagement: false },
  };
}

/** Starts the workflow worker and LATCHED_AGENT's worker on `address`, with the latched activities. */
export async function startLatchedWorkers(address: string): Promise<{ fakes: LatchedActivities; client: Client; stop(): Promise<void> }> {
  const fakes: LatchedActivities = {
    calls: [],
    mirrored: [],
    holdMirrorOf: null,
    holdStop: null,
    projected: [],
    holdProjection: null,
    reset() {
      this.calls = [];
      this.mirrored = [];
      this.holdMirrorOf = null;
      this.holdStop = null;
      this.projected = [];
      this.holdProjection = null;
    },
  };
  const agent = {
    async deployWorkload(spec: WorkloadSpec): Promise<DeployedWorkload> {
      fakes.calls.push(`deploy ${spec.name}`);
      return { container_id: `container-${spec.name}`, ports: [], agent_param: '-' };
    },
    async deployAndStartWorkload(spec: WorkloadSpec): Promise<DeployedWorkload> {
      fakes.calls.push(`deploy ${spec.name}`, `start ${spec.name}`);
      return { container_id: `container-${spec.name}`, ports: [], agent_param: '-' };
    },
    async startWorkload(ref: WorkloadRef): Promise<DeployedWorkload | null> {
      fakes.calls.push(`start ${ref.name}`);
      return null;
    },
    async stopWorkload(ref: WorkloadRef): Promise<void> {
      fakes.calls.push(`stop ${ref.name}`);
      if (fakes.holdStop !== null) await heldBy(fakes.holdStop);
    },
    async removeWorkload(ref: WorkloadRef): Promise<void> {
      fakes.calls.push(`remove ${ref.name}`);
    },
    async observeWorkload(_ref: WorkloadRef): Promise<AgentStatus> {
      return 'started';
    },
  };
  const orchestration = {
    async mirrorInstanceToCimi(instance: ServiceInstance): Promise<void> {
      fakes.mirrored.push(instance.status);
      const hold = fakes.holdMirrorOf;
      if (hold !== null && hold.status === instance.status) await hold.gate.wait();
    },
    async deleteInstanceFromCimi(_id: string): Promise<void> {},
    async projectInstance(projection: InstanceProjection): Promise<void> {
      if (fakes.holdProjection !== null) await fakes.holdProjection.wait();
      fakes.projected.push(projection);
    },
  };
  ensureTestRuntime();
  const native = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const workers = [
    await Worker.create({
      connection: native,
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: orchestration,
    }),
    await Worker.create({ connection: native, taskQueue: agentTaskQueue(LATCHED_AGENT), activities: agent }),
  ];
  const running = workers.map((worker) => worker.run());
  return {
    fakes,
    client,
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
      await native.close();
      await client.connection.close();
    },
  };
}

export type LatchedWorkers = Awaited<ReturnType<typeof startLatchedWorkers>>;

/** A dev server of the test's own (with `serverArgs`), its search attributes, and the latched workers on it; stop() ends all. */
export async function startLatchedStack(serverArgs: string[] = []): Promise<LatchedWorkers> {
  const server = await startDevServer({ extraArgs: serverArgs });
  try {
    const connection = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();
    const latched = await startLatchedWorkers(server.address);
    return {
      ...latched,
      async stop() {
        await latched.stop();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

export async function startLatchedInstance(
  client: Client,
  settings: Partial<ServiceInstanceInput['settings']> = {},
): Promise<WorkflowHandle<typeof serviceInstanceWorkflow>> {
  const uuid = randomUUID();
  const input = latchedInstanceInput(uuid);
  return client.workflow.start(serviceInstanceWorkflow, {
    workflowId: instanceIdOf(uuid),
    taskQueue: WORKFLOW_TASK_QUEUE,
    args: [{ ...input, settings: { ...input.settings, ...settings } }],
  });
}

/**
 * On a server that suggests continue-as-new right after a deploy: the deploy's last state is held on its way to
 * CIMI (the flush before continue-as-new waits for it), a stop is accepted meanwhile, and the flush ends while
 * the stop still runs. Resolves with the stop's answer (or its failure) once both are released.
 */
export async function stopDuringContinueAsNewFlush(
  client: Client,
  fakes: LatchedActivities,
): Promise<{ handle: WorkflowHandle<typeof serviceInstanceWorkflow>; firstRun: string; answer: ServiceInstance | Error }> {
  const mirror = latch();
  const stopping = latch();
  fakes.holdMirrorOf = { status: 'started', gate: mirror };
  fakes.holdStop = stopping;
  const handle = await startLatchedInstance(client);
  const firstRun = (await handle.describe()).runId;
  await eventually('the started state on its way to CIMI', async () => (fakes.mirrored.includes('started') ? true : undefined), 30_000, 50);
  const stop = handle.executeUpdate(stopUpdate, { updateId: `stop-during-flush-${firstRun}` }).catch((err: Error) => err);
  await eventually(
    'the stop to reach the runtime',
    async () => (fakes.calls.some((c) => c.startsWith('stop')) ? true : undefined),
    30_000,
    50,
  );
  mirror.open();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  stopping.open();
  return { handle, firstRun, answer: await stop };
}
