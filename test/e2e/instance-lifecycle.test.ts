/**
 * The whole life of one docker instance through the API, checked on the Docker engine itself
 * (real Temporal, real Docker, in-process LM).
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, inspectContainer } from '../support/docker-state';
import { getInstance, operate, submit } from '../support/api-calls';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm();
});

afterAll(async () => {
  await lm?.stop();
});

test('submit, stop, start, restart and terminate act on the real container', async () => {
  const { uuid, instance } = await submit(lm.api, { ports: [80, 10080] });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');
  expect(instance.agents).toHaveLength(1);
  const [agent] = instance.agents;
  expect(agent.status).toBe('started');

  const [container] = await containersOf(uuid);
  expect(container.Id).toBe(agent.container_id);
  let info = await inspectContainer(container.Id);
  expect(info.State.Running).toBe(true);
  // Port rule: 80 < 10000 is remapped from 20001 up; 10080 >= 10000 is kept when free.
  const bindings = info.HostConfig.PortBindings as Record<string, Array<{ HostPort: string }>>;
  const host80 = Number(bindings['80/tcp'][0].HostPort);
  expect(host80).toBeGreaterThanOrEqual(20001);
  expect(bindings['10080/tcp'][0].HostPort).toBe('10080');
  expect(agent.ports).toEqual([host80, 10080]);
  const page = await fetch(`http://127.0.0.1:${host80}/`);
  expect(await page.text()).toBe('lm-test\n');

  const stopped = await operate(lm.api, uuid, 'stop');
  expect(stopped.status).toBe(200);
  expect(stopped.data.service_instance.status).toBe('stopped');
  info = await inspectContainer(container.Id);
  expect(info.State.Running).toBe(false);

  const started = await operate(lm.api, uuid, 'start');
  expect(started.data.service_instance.status).toBe('started');
  info = await inspectContainer(container.Id);
  expect(info.State.Running).toBe(true);
  const startedAt = info.State.StartedAt;

  const restarted = await operate(lm.api, uuid, 'restart');
  expect(restarted.data.service_instance.status).toBe('started');
  info = await inspectContainer(container.Id);
  expect(info.State.Running).toBe(true);
  expect(new Date(info.State.StartedAt).getTime()).toBeGreaterThan(new Date(startedAt).getTime());

  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.status).toBe(200);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(await containersOf(uuid)).toHaveLength(0);

  // The last state stays readable; the timeline tells the whole story in order.
  expect((await getInstance(lm.api, uuid)).status).toBe('terminated');
  const timeline = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`);
  const steps = (timeline.data.timeline as Array<{ step: string; outcome: string }>).filter((e) => e.outcome === 'ok').map((e) => e.step);
  expect(steps).toEqual(['deploy', 'start', 'deploy', 'stop', 'stop', 'start', 'start', 'stop', 'start', 'restart', 'remove', 'terminate']);
});
