/**
 * A long-lived instance continues as new when its history grows: the state (agents, containers, timeline)
 * carries over as plain JSON and the instance keeps working. The dev server here suggests continue-as-new
 * after 40 events so the test reaches it quickly.
 */
import { startDevServer, type DevServer } from '../support/dev-server';
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { getInstance, operate, submit } from '../support/api-calls';
import { instanceIdOf } from '../../workflows/model/instance';

let server: DevServer;
let lm: LmHarness;
const made: string[] = [];

beforeAll(async () => {
  // 60 events: the deploy and a first operation fit (with their read-model projections), a few more do not.
  server = await startDevServer({ extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'] });
  lm = await startLm({ TEMPORAL_ADDRESS: server.address });
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await server?.stop();
});

test('the instance continues as new with its state, and still operates its container', async () => {
  const { uuid, instance } = await submit(lm.api, { ports: [80] });
  made.push(uuid);
  const handle = lm.client.workflow.getHandle(instanceIdOf(uuid));
  const firstRun = (await handle.describe()).runId;
  const [container] = await containersOf(uuid);

  // Each stop/start adds events; keep going until the workflow has continued as new.
  let runs = 0;
  for (let i = 0; i < 10 && (await handle.describe()).runId === firstRun; i += 1) {
    expect((await operate(lm.api, uuid, i % 2 === 0 ? 'stop' : 'start')).status).toBe(200);
    runs += 1;
  }
  const secondRun = await eventually('a new run', async () => {
    const runId = (await handle.describe()).runId;
    return runId !== firstRun ? runId : undefined;
  });
  expect(secondRun).not.toBe(firstRun);
  expect(runs).toBeGreaterThan(1);

  // Same agents and container, and the timeline of the first run is still there.
  const after = await getInstance(lm.api, uuid);
  expect(after.agents[0].container_id).toBe(instance.agents[0].container_id);
  expect(after.agents[0].ports).toEqual(instance.agents[0].ports);
  const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{ step: string }>;
  // The first run's timeline is still there: its placement and deploy come first.
  expect(timeline.find((e) => e.step !== 'place')?.step).toBe('deploy');
  expect(timeline.some((e) => e.step === 'continue-as-new')).toBe(true);

  // Operations keep working on the new run.
  const target = after.status === 'started' ? 'stop' : 'start';
  const response = await operate(lm.api, uuid, target);
  expect(response.status).toBe(200);
  const state = (await containersOf(uuid))[0].State;
  expect(state).toBe(target === 'stop' ? 'exited' : 'running');
  expect((await containersOf(uuid))[0].Id).toBe(container.Id);
  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(await containersOf(uuid)).toHaveLength(0);
}, 240_000);
