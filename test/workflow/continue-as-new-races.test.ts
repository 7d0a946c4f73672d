/**
 * Races at continue-as-new, on a real dev server with the real workflow and activities of the test's own that
 * hold the workflow at chosen points (latches): a workflow-level test, not a Temporal double. The server
 * suggests continue-as-new after 20 events, so an instance continues right after its deploy and every few
 * operations after that.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { agentPresenceSignal, instanceQuery, startUpdate, stopUpdate, timelineQuery } from '../../workflows/messages';
import type { ServiceInstance } from '../../workflows/model/instance';
import { eventually } from '../support/eventually';
import { latch } from '../support/latch';
import {
  LATCHED_AGENT,
  startLatchedInstance,
  startLatchedStack,
  type LatchedWorkers,
  stopDuringContinueAsNewFlush,
  type LatchedActivities,
} from '../support/latched-activities';

let latched: LatchedWorkers;
let fakes: LatchedActivities;

async function runIdOf(handle: WorkflowHandle): Promise<string> {
  return (await handle.describe()).runId;
}

async function laterRun(handle: WorkflowHandle, than: string): Promise<string> {
  return eventually(
    'a new run',
    async () => {
      const runId = await runIdOf(handle);
      return runId !== than ? runId : undefined;
    },
    30_000,
    100,
  );
}

const stopsOf = () => fakes.calls.filter((call) => call.startsWith('stop')).length;

beforeAll(async () => {
  latched = await startLatchedStack(['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=20']);
  fakes = latched.fakes;
});

afterAll(async () => {
  await latched?.stop();
});

beforeEach(() => fakes.reset());

test('a stop accepted while the last state goes to CIMI before continue-as-new is applied once, and the next run starts stopped', async () => {
  const { handle, firstRun, answer } = await stopDuringContinueAsNewFlush(latched.client, fakes);
  expect(answer).not.toBeInstanceOf(Error);
  expect((answer as ServiceInstance).status).toBe('stopped');
  await laterRun(handle, firstRun);
  const instance = await handle.query(instanceQuery);
  expect(instance.status).toBe('stopped');
  expect(instance.agents[0].status).toBe('stopped');
  expect(stopsOf()).toBe(1);
  const timeline = await handle.query(timelineQuery);
  expect(timeline.filter((e) => e.step === 'stop' && e.message === 'stop requested')).toHaveLength(1);
});

test('an operation sent again with the same update id after continue-as-new is answered as before, not applied again', async () => {
  const handle = await startLatchedInstance(latched.client);
  const secondRun = await laterRun(handle, await runIdOf(handle));
  const stopped = await handle.executeUpdate(stopUpdate, { updateId: 'client-key-1' });
  expect(stopped.status).toBe('stopped');

  // Operate until the instance has continued as new since that stop.
  let run = secondRun;
  for (let i = 0; i < 8 && run === secondRun; i += 1) {
    await handle.executeUpdate(i % 2 === 0 ? startUpdate : stopUpdate);
    await new Promise((resolve) => setTimeout(resolve, 300));
    run = await runIdOf(handle);
  }
  expect(run).not.toBe(secondRun);
  if ((await handle.query(instanceQuery)).status !== 'started') await handle.executeUpdate(startUpdate);
  const stopsBefore = stopsOf();

  const again = await handle.executeUpdate(stopUpdate, { updateId: 'client-key-1' });
  expect(again.status).toBe('stopped');
  expect(stopsOf()).toBe(stopsBefore);
  expect((await handle.query(instanceQuery)).status).toBe('started');
  const timeline = await handle.query(timelineQuery);
  expect(timeline.some((e) => /update id client-key-1 was answered before/.test(e.message ?? ''))).toBe(true);
});

test('an agent lost while the instance continues as new is followed in the next run: the instance turns degraded', async () => {
  // The deploy's last state is held on its way to CIMI: the run has stopped serving and waits to continue as new.
  const mirror = latch();
  fakes.holdMirrorOf = { status: 'started', gate: mirror };
  const handle = await startLatchedInstance(latched.client, { observeIntervalMs: 0 });
  const firstRun = await runIdOf(handle);
  await eventually('the started state on its way to CIMI', async () => (fakes.mirrored.includes('started') ? true : undefined), 30_000, 50);
  const since = new Date().toISOString();
  await handle.signal(agentPresenceSignal, {
    ip: LATCHED_AGENT,
    alive: false,
    reason: 'its LM stopped answering',
    since,
    epoch: Date.now(),
  });
  mirror.open();
  await laterRun(handle, firstRun);
  const degraded = await eventually(
    'the next run follows the loss',
    async () => {
      const instance = await handle.query(instanceQuery);
      return instance.status === 'degraded' ? instance : undefined;
    },
    15_000,
    100,
  );
  expect(degraded.agents[0]).toMatchObject({
    status: 'unknown',
    error: expect.stringMatching(new RegExp(`^agent ${LATCHED_AGENT.replace(/\./g, '\\.')} is lost since ${since}`)),
  });
  await handle.terminate('test over');
});
