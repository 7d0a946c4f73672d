/**
 * Operations fired at once on one instance never interleave: each is applied or refused with a reason
 * (409), and the instance ends in a state that matches the Docker engine.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { getInstance, operate, submit } from '../support/api-calls';
import type { ServiceInstance } from '../../workflows/model/instance';
import { isTransitional } from '../../workflows/model/status';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm();
});

afterAll(async () => {
  await lm?.stop();
});

/** Every "requested" operation finishes before the next one starts: operations never interleave. */
async function expectNoInterleaving(uuid: string): Promise<void> {
  const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{ message?: string }>;
  let running: string | null = null;
  for (const { message = '' } of timeline) {
    const requested = /^(\w+) requested$/.exec(message);
    if (requested) {
      expect({ started: requested[1], whileRunning: running }).toEqual({ started: requested[1], whileRunning: null });
      running = requested[1];
    } else if (/ finished: the instance is |^terminated: /.test(message) || /^terminate is incomplete/.test(message)) {
      running = null;
    }
  }
}

async function settled(uuid: string): Promise<ServiceInstance> {
  return eventually('the instance to settle', async () => {
    const instance = await getInstance(lm.api, uuid);
    return isTransitional(instance.status) ? undefined : instance;
  });
}

test('start / stop / restart fired together: each is applied or refused, and the end state is real', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const operations = ['stop', 'restart', 'start', 'stop', 'restart', 'stop', 'start'];
  const responses = await Promise.all(operations.map((op) => operate(lm.api, uuid, op, false)));
  for (const response of responses) {
    expect([200, 409]).toContain(response.status);
    if (response.status === 409) expect(response.data.message).toMatch(/in progress|already|allowed when/);
  }
  expect(responses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);

  const instance = await settled(uuid);
  const [container] = await containersOf(uuid);
  if (instance.status === 'started') expect(container.State).toBe('running');
  else {
    expect(instance.status).toBe('stopped');
    expect(container.State).toBe('exited');
  }
  // Every accepted operation left exactly one "requested" entry, and none overlapped another.
  const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{
    step: string;
    message?: string;
  }>;
  await expectNoInterleaving(uuid);
  const requested = timeline.filter((e) => e.message?.endsWith('requested')).length;
  const finished = timeline.filter((e) => e.message?.includes('finished: the instance is')).length;
  expect(finished).toBe(requested + 1); // +1: the deploy
});

test('terminate fired together with other operations wins in the end: nothing is left on Docker', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const responses = await Promise.all(
    ['restart', 'terminate', 'stop', 'start', 'terminate'].map((op) =>
      op === 'terminate' ? lm.api.delete(`/api/v2/lm/service-instances/${uuid}`) : operate(lm.api, uuid, op, false),
    ),
  );
  for (const response of responses) expect([200, 409]).toContain(response.status);
  const terminations = responses.filter((r, i) => [1, 4].includes(i) && r.status === 200);
  expect(terminations).toHaveLength(1);

  const instance = await settled(uuid);
  await expectNoInterleaving(uuid);
  expect(instance.status).toBe('terminated');
  expect(await containersOf(uuid)).toHaveLength(0);
});

test('terminate during deploy interrupts the deploy, then removes what it made', async () => {
  const { uuid } = await submit(lm.api, { wait: false, agents: [lm.config.hostIp, lm.config.hostIp, lm.config.hostIp] });
  lm.made.push(uuid);
  const terminate = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
  expect(terminate.status).toBe(200);
  const start = await operate(lm.api, uuid, 'start', false);
  expect(start.status).toBe(409);
  // The terminate interrupts the deploy: it may already be done when the start arrives.
  expect(start.data.message).toMatch(/being terminated|is terminated/);
  const instance = await settled(uuid);
  expect(instance.status).toBe('terminated');
  expect(await containersOf(uuid)).toHaveLength(0);
});
