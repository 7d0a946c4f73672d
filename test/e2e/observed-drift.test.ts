/**
 * A settled instance follows its runtime (real Temporal, real Docker): a container stopped or removed behind
 * the LM's back turns the instance `degraded`/`error` with the reason, one that runs again brings it back,
 * and an instance the user stopped stays `stopped`. Here only Docker events wake the instances (no periodic
 * observation), so each change is noticed because the engine reported it; mf2c-observed-drift uses the timer.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { getInstance, operate, submit } from '../support/api-calls';
import { ensureHealthCheckedImage } from '../support/test-images';
import type { ServiceInstance, TimelineEntry } from '../../workflows/model/instance';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm({ LM_OBSERVE_INTERVAL_S: '0', LM_WATCH_DOCKER_EVENTS: 'true' });
});

afterAll(async () => {
  await lm?.stop();
});

async function untilInstance(uuid: string, what: string, ok: (instance: ServiceInstance) => boolean): Promise<ServiceInstance> {
  return eventually(
    what,
    async () => {
      const instance = await getInstance(lm.api, uuid);
      return ok(instance) ? instance : undefined;
    },
    15_000,
  );
}

async function observations(uuid: string): Promise<TimelineEntry[]> {
  const response = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`);
  return (response.data.timeline as TimelineEntry[]).filter((e) => e.step === 'observe');
}

test('a container stopped outside the LM degrades the instance; running again, it recovers', async () => {
  const local = lm.config.hostIp;
  const { uuid, instance } = await submit(lm.api, { agents: [local, local] });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');
  const [first, second] = instance.agents;

  await docker.getContainer(first.container_id).stop({ t: 0 });
  const degraded = await untilInstance(uuid, 'degraded', (i) => i.status === 'degraded');
  expect(degraded.agents.map((a) => a.status)).toEqual(['error', 'started']);
  expect(degraded.agents[0].error).toMatch(/is not running on the runtime although the LM started it .*start or restart the instance/);
  expect(degraded.error).toContain(degraded.agents[0].error);
  expect((await observations(uuid)).some((e) => e.outcome === 'failed' && e.agent !== undefined)).toBe(true);

  await docker.getContainer(first.container_id).start();
  const recovered = await untilInstance(uuid, 'started again', (i) => i.status === 'started');
  expect(recovered.agents.map((a) => a.error)).toEqual([null, null]);
  expect(
    (await observations(uuid)).some((e) => e.outcome === 'ok' && /is running on the runtime \(recorded error\)/.test(e.message ?? '')),
  ).toBe(true);

  // Removed by hand: the instance says so, and terminate still cleans up the rest.
  await docker.getContainer(second.container_id).remove({ force: true });
  const broken = await untilInstance(uuid, 'degraded by a removed container', (i) => i.agents[1].status === 'error');
  expect(broken.status).toBe('degraded');
  expect(broken.agents[1].error).toMatch(/missing, failing or unhealthy on the runtime/);
  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(await containersOf(uuid)).toHaveLength(0);
});

test('an instance the user stopped stays stopped; start after a crash runs it again', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  expect((await operate(lm.api, uuid, 'stop')).data.service_instance.status).toBe('stopped');
  const seen = (await observations(uuid)).length;
  // The stop's own Docker events made the instance observe a container that matches what was recorded.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  expect((await getInstance(lm.api, uuid)).status).toBe('stopped');
  expect(await observations(uuid)).toHaveLength(seen);

  expect((await operate(lm.api, uuid, 'start')).data.service_instance.status).toBe('started');
  const [container] = await containersOf(uuid);
  await docker.getContainer(container.Id).kill();
  await untilInstance(uuid, 'error after a kill', (i) => i.status === 'error');
  const restarted = await operate(lm.api, uuid, 'start');
  expect(restarted.status).toBe(200);
  expect(restarted.data.service_instance.status).toBe('started');
  expect((await containersOf(uuid))[0].State).toBe('running');
});

test('a container whose HEALTHCHECK fails is not started; once healthy, it is', async () => {
  const { uuid, instance } = await submit(lm.api, { image: ensureHealthCheckedImage() });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');
  const unhealthy = await untilInstance(uuid, 'error while unhealthy', (i) => i.status === 'error');
  expect(unhealthy.agents[0].error).toMatch(/missing, failing or unhealthy on the runtime although the LM started it/);

  const exec = await docker.getContainer(instance.agents[0].container_id).exec({ Cmd: ['sh', '-c', 'echo ok > /tmp/healthy'] });
  await exec.start({});
  const healthy = await untilInstance(uuid, 'started once healthy', (i) => i.status === 'started');
  expect(healthy.agents[0].error).toBeNull();
});
