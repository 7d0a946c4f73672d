/** Several agents, and agents that fail: the instance says `degraded` or `error` with the reason. */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf } from '../support/docker-state';
import { operate, submit } from '../support/api-calls';
import { ensureExitingImage } from '../support/test-images';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm({ LM_AGENT_TIMEOUT_S: '5' });
});

afterAll(async () => {
  await lm?.stop();
});

test('two agent entries on the local agent give two containers with distinct ports', async () => {
  const local = lm.config.hostIp;
  const { uuid, instance } = await submit(lm.api, { ports: [80], agents: [local, local] });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');
  expect(instance.agents.map((a) => a.status)).toEqual(['started', 'started']);
  expect(instance.agents.map((a) => a.master_compss)).toEqual([true, false]);
  const containers = await containersOf(uuid);
  expect(containers).toHaveLength(2);
  expect(containers.every((c) => c.State === 'running')).toBe(true);
  const [a, b] = instance.agents;
  expect(a.ports[0]).not.toBe(b.ports[0]);
  expect(new Set(containers.map((c) => c.Id))).toEqual(new Set([a.container_id, b.container_id]));

  const stopped = await operate(lm.api, uuid, 'stop');
  expect(stopped.data.service_instance.status).toBe('stopped');
  expect((await containersOf(uuid)).every((c) => c.State === 'exited')).toBe(true);
});

test('an image that does not exist: error, with the reason on the instance and the timeline', async () => {
  const { uuid, instance } = await submit(lm.api, { image: 'lm-test/does-not-exist:1.0' });
  lm.made.push(uuid);
  expect(instance.status).toBe('error');
  expect(instance.agents[0].status).toBe('not-deployed');
  expect(instance.agents[0].error).toMatch(/image "lm-test\/does-not-exist:1.0" is not on agent .* (cannot be pulled|pulling it failed)/);
  expect(instance.error).toMatch(/does-not-exist/);
  expect(await containersOf(uuid)).toHaveLength(0);
  const timeline = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`);
  expect(timeline.data.timeline).toContainEqual(
    expect.objectContaining({ step: 'deploy', outcome: 'failed', message: expect.stringMatching(/does-not-exist/) }),
  );
});

test('one good agent and one unreachable agent: degraded, the good one keeps running', async () => {
  // 10.255.255.1 has no LM worker on this Temporal cluster: its queue is never served.
  const { uuid, instance } = await submit(lm.api, {
    agents: [lm.config.hostIp, '10.255.255.1'],
  });
  lm.made.push(uuid);
  expect(instance.status).toBe('degraded');
  expect(instance.agents[0].status).toBe('started');
  expect(instance.agents[1].status).toBe('not-deployed');
  expect(instance.agents[1].error).toMatch(/no LM worker took the task from queue lm-agent-10\.255\.255\.1/);
  const containers = await containersOf(uuid);
  expect(containers).toHaveLength(1);
  expect(containers[0].State).toBe('running');
});

test('all-or-nothing compensates: the deployed agent is removed and the instance is error', async () => {
  const { uuid, instance } = await submit(lm.api, {
    agents: [lm.config.hostIp, '10.255.255.1'],
    extra: { all_or_nothing: true },
  });
  lm.made.push(uuid);
  expect(instance.status).toBe('error');
  expect(instance.agents[0].status).toBe('terminated');
  expect(await containersOf(uuid)).toHaveLength(0);
  // The stuck agent's failure, not the compensation, is the reason given.
  expect(instance.error).toMatch(/10\.255\.255\.1/);
});

test('a container that exits at once is error-starting, not started, and is not left restarting', async () => {
  const { uuid, instance } = await submit(lm.api, { image: ensureExitingImage(), name: 'exits' });
  lm.made.push(uuid);
  expect(instance.status).toBe('error');
  expect(instance.agents[0].status).toBe('error-starting');
  expect(instance.agents[0].error).toMatch(/stopped right after start \(exit code 3/);
  const [container] = await containersOf(uuid);
  expect(container.State).not.toBe('running');
  expect(container.State).not.toBe('restarting');
});
