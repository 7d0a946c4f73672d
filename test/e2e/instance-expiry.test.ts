/**
 * `expires_in` (real Temporal, real Docker): an instance terminates itself on a durable timer, removing its
 * container and saying why on the timeline; one terminated before is left alone; bad values are a 400.
 */
import type { TimelineEntry } from '../../workflows/model/instance';
import { dockerService, getInstance, submit } from '../support/api-calls';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm();
});

afterAll(async () => {
  await lm?.stop();
});

async function steps(uuid: string): Promise<TimelineEntry[]> {
  return (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as TimelineEntry[];
}

test('an instance submitted with expires_in terminates itself then, and removes its container', async () => {
  const { uuid, instance } = await submit(lm.api, { extra: { expires_in: 3 } });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');
  expect(Date.parse(instance.expires_at ?? '') - Date.parse(instance.created)).toBe(3_000);
  expect(await containersOf(uuid)).toHaveLength(1);

  const ended = await eventually(
    'terminated by its expiry',
    async () => {
      const current = await getInstance(lm.api, uuid);
      return current.status === 'terminated' ? current : undefined;
    },
    30_000,
    250,
  );
  expect(Date.parse(ended.updated)).toBeGreaterThanOrEqual(Date.parse(instance.expires_at ?? ''));
  expect(await containersOf(uuid)).toHaveLength(0);
  const timeline = (await steps(uuid)).map((e) => `${e.step} ${e.outcome}`);
  expect(timeline.slice(-4)).toEqual(['expire info', 'terminate info', 'remove ok', 'terminate ok']);
}, 60_000);

test('an instance terminated before it expires is left alone; one without expires_in has no expires_at', async () => {
  const { uuid } = await submit(lm.api, { extra: { expires_in: 2 } });
  lm.made.push(uuid);
  expect((await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`)).data.service_instance.status).toBe('terminated');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect((await steps(uuid)).some((e) => e.step === 'expire')).toBe(false);

  const plain = await submit(lm.api);
  lm.made.push(plain.uuid);
  expect(plain.instance.expires_at).toBeUndefined();
});

test.each([
  [0, /expires_in must be at least 1 second/],
  [1.5, /expires_in must be a whole number of seconds/],
  ['soon', /expires_in must be a number of seconds/],
  [400_000_000, /expires_in must be at most/],
])('expires_in %j is a 400 that says what to send', async (value, message) => {
  const response = await lm.api.post('/api/v2/lm/service', { service: dockerService(), expires_in: value });
  expect(response.status).toBe(400);
  expect(response.data).toMatchObject({ error: true, message: expect.stringMatching(message) });
});
