/**
 * `DELETE …/all` (real Temporal, real Docker): it terminates every instance listed when asked, in the background,
 * a bounded number at once, and names each one that did not accept its terminate with the reason — here an
 * instance whose workflow task fails. A second DELETE …/all while the first is sending is a 429.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { submit } from '../support/api-calls';
import { startBrokenInstance, type BrokenInstance } from '../support/broken-instance';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { instanceIdOf } from '../../workflows/model/instance';

const ALL = '/api/v2/lm/service-instances/all';
let lm: LmHarness;
let broken: BrokenInstance | null = null;

beforeAll(async () => {
  lm = await startLm({ LM_TERMINATE_ALL_CONCURRENCY: '2' });
});

afterAll(async () => {
  await broken?.handle.terminate('test over').catch(() => undefined);
  await lm?.stop();
});

async function submitMany(count: number): Promise<string[]> {
  const uuids = await Promise.all(Array.from({ length: count }, async () => (await submit(lm.api, { name: 'all' })).uuid));
  lm.made.push(...uuids);
  return uuids;
}

async function allTerminated(uuids: string[]): Promise<void> {
  await eventually(
    'every instance terminated, its container gone',
    async () => {
      for (const uuid of uuids) {
        const { data } = await lm.api.get(`/api/v2/lm/service-instances/${uuid}`);
        if (data.service_instance?.status !== 'terminated' || (await containersOf(uuid)).length > 0) return undefined;
      }
      return true;
    },
    90_000,
    1000,
  );
}

test('with wait=true: every listed instance is sent its terminate, and the one that cannot take it is named with the reason', async () => {
  const uuids = await submitMany(6);
  broken = await startBrokenInstance(lm.client, lm.api);
  const response = await lm.api.delete(`${ALL}?wait=true`);
  expect(response.status).toBe(200);
  expect(response.data.service_instances).toEqual(expect.arrayContaining(uuids.map(instanceIdOf)));
  expect(response.data.not_terminated).toEqual(
    expect.arrayContaining([
      { service_instance_id: instanceIdOf(broken.uuid), reason: expect.stringMatching(/^503: .*workflow task is failing/) },
    ]),
  );
  await allTerminated(uuids);
}, 180_000);

test('without wait the answer comes at once with the snapshot; a second DELETE …/all meanwhile is a 429', async () => {
  const uuids = await submitMany(8);
  const started = Date.now();
  const response = await lm.api.delete(ALL);
  const answeredInMs = Date.now() - started;
  const second = await lm.api.delete(ALL);
  expect(response.status).toBe(200);
  expect(response.data.service_instances).toEqual(expect.arrayContaining(uuids.map(instanceIdOf)));
  expect(answeredInMs).toBeLessThan(1_500);
  expect({ status: second.status, retryAfter: second.headers['retry-after'] }).toEqual({ status: 429, retryAfter: '5' });
  await allTerminated(uuids);
}, 180_000);
