/**
 * A LM that stops while no presence check runs on it (its first check answered at once, the next one not taken
 * yet) says so with the `agent-leaving` signal: its agent is stopping, not lost. On a real dev server with the
 * real presence workflow and a presence worker of the test's own, which answers the first check and then stops
 * polling, as a LM stopped in its first moments does.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { agentHelloSignal, agentLeavingSignal, agentPresenceWorkflow, agentRecordQuery } from '../../workflows/agent-presence.workflow';
import { agentWorkflowId, type AgentLm, type AgentRecord, type AgentRuntimes, type PresenceReport } from '../../workflows/model/agents';
import { agentPresenceTaskQueue, WORKFLOW_TASK_QUEUE } from '../../workflows/model/task-queues';
import { startDevServer, type DevServer } from '../support/dev-server';
import { eventually } from '../support/eventually';
import { ensureTestRuntime, workflowBundle } from '../support/lm-harness';

const { PendingActivityState } = temporal.api.enums.v1;

const RUNTIMES: AgentRuntimes = {
  docker: { available: true, message: 'Docker 27.0' },
  swarm: { available: false, message: 'not a swarm manager' },
  kubernetes: { available: false, message: 'no cluster' },
};

let server: DevServer;
let native: NativeConnection;
let client: Client;
let workflowWorker: Worker;
let workflowWorkerRunning: Promise<void>;
const started: Array<WorkflowHandle<typeof agentPresenceWorkflow>> = [];

beforeAll(async () => {
  ensureTestRuntime();
  server = await startDevServer();
  native = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  workflowWorker = await Worker.create({
    connection: native,
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    // Nothing is lost within a test (LM_AGENT_LOST_S is long): no instance is ever told.
    activities: { announceAgentPresence: async () => 0 },
  });
  workflowWorkerRunning = workflowWorker.run();
});

afterAll(async () => {
  await Promise.allSettled(started.map((handle) => handle.terminate('the test is over')));
  if (workflowWorker?.getState() === 'RUNNING') workflowWorker.shutdown();
  await workflowWorkerRunning;
  await native?.close();
  await client?.connection.close();
  await server?.stop();
});

function lmOf(ip: string, pid: number): AgentLm {
  return {
    role: 'agent',
    identity: `${pid}@test-host lm-agent ${ip}`,
    host: 'test-host',
    pid,
    startedAt: new Date().toISOString(),
    apiPort: null,
    lostAfterMs: 120_000,
  };
}

/**
 * The agent's LM introduces itself and answers its first check at once; its presence worker stops polling as it
 * answers, so the next check is never taken. Resolves once the agent is alive and that next check waits.
 */
async function agentInItsFirstMoments(ip: string, lm: AgentLm): Promise<WorkflowHandle<typeof agentPresenceWorkflow>> {
  const calls: boolean[] = [];
  const presenceWorker: Worker = await Worker.create({
    connection: native,
    identity: lm.identity,
    taskQueue: agentPresenceTaskQueue(ip),
    activities: {
      async agentPresence(_known: AgentRuntimes | null, reportAtOnce: boolean): Promise<PresenceReport> {
        calls.push(reportAtOnce);
        // Stops polling before it answers (the answer still goes out within the grace time).
        if (presenceWorker.getState() === 'RUNNING') presenceWorker.shutdown();
        return { leaving: false, runtimes: RUNTIMES };
      },
    },
    shutdownGraceTime: '10 seconds',
  });
  const presenceWorkerRunning = presenceWorker.run();
  const handle = await client.workflow.signalWithStart(agentPresenceWorkflow, {
    workflowId: agentWorkflowId(ip),
    taskQueue: WORKFLOW_TASK_QUEUE,
    args: [{ ip }],
    signal: agentHelloSignal,
    signalArgs: [lm],
  });
  started.push(handle);
  await presenceWorkerRunning;
  await eventually(
    'the agent alive after its first check',
    async () => ((await handle.query(agentRecordQuery)).alive ? true : undefined),
    10_000,
    50,
  );
  await eventually('the next check scheduled', async () => ((await pendingCheck(handle)) === undefined ? undefined : true), 10_000, 50);
  expect(calls).toEqual([true]);
  return handle;
}

async function pendingCheck(handle: WorkflowHandle): Promise<temporal.api.workflow.v1.IPendingActivityInfo | undefined> {
  const described = await handle.describe();
  return (described.raw.pendingActivities ?? []).find((activity) => activity.activityType?.name === 'agentPresence');
}

test('an agent whose LM says it is leaving while no check runs on it is stopping, not lost', async () => {
  const ip = '127.0.71.1';
  const lm = lmOf(ip, 4242);
  const handle = await agentInItsFirstMoments(ip, lm);

  await handle.signal(agentLeavingSignal, lm.identity);
  const record: AgentRecord = await eventually(
    'the agent stopping',
    async () => {
      const found = await handle.query(agentRecordQuery);
      return found.alive ? undefined : found;
    },
    5_000,
    50,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; the record: ${JSON.stringify(await handle.query(agentRecordQuery))}`);
  });
  expect(record).toMatchObject({
    alive: false,
    reason: expect.stringMatching(/^its LM stopped at .*counts as lost if it is not back within 120 s/),
  });
  expect(record.lm?.identity).toBe(lm.identity);
  // What the API reads without a worker says so too.
  const memo = (await handle.describe()).memo as { agent?: AgentRecord } | undefined;
  expect(memo?.agent).toMatchObject({ alive: false, reason: record.reason });
  // No check ran meanwhile: the signal alone told it.
  expect((await pendingCheck(handle))?.state).toBe(PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED);
});

test('a leaving signal from an older LM process of the agent is ignored', async () => {
  const ip = '127.0.71.2';
  const lm = lmOf(ip, 4343);
  const handle = await agentInItsFirstMoments(ip, lm);

  await handle.signal(agentLeavingSignal, lmOf(ip, 4242).identity);
  await eventually('a workflow task after the signal', () => workflowTaskAfterLeaving(handle), 10_000, 50);
  const record = await handle.query(agentRecordQuery);
  expect(record).toMatchObject({ alive: true, reason: null });
  expect(record.lm?.identity).toBe(lm.identity);
});

/** True once the workflow has handled the `agent-leaving` signal (a workflow task completed after it). */
async function workflowTaskAfterLeaving(handle: WorkflowHandle): Promise<true | undefined> {
  const events = (await handle.fetchHistory()).events ?? [];
  const signalled = events.findIndex((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'agent-leaving');
  if (signalled < 0) return undefined;
  const completed = events
    .slice(signalled)
    .some((event) => event.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  return completed ? true : undefined;
}
