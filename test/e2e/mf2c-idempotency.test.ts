/**
 * mF2C submits with an Idempotency-Key (real Temporal, real Docker, fake peers): concurrent and repeated
 * submits with one key make one CIMI resource and one instance; a key whose submit failed can be used again.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, removeContainersOf } from '../support/docker-state';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { uuidOf } from '../../workflows/model/instance';

let peers: Mf2cPeers;
let lm: LmHarness;
const made: string[] = [];

beforeAll(async () => {
  peers = await startMf2cPeers();
  lm = await startLm(peers.lmEnv);
});

afterEach(async () => {
  await peers.cimi.clearFaults();
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await peers?.closeAll();
});

const submit = (key: string, wait = false) =>
  lm.api.post(
    `/api/v2/lm/service${wait ? '?wait=true' : ''}`,
    { service_id: peers.cimi.seeded!.service },
    { headers: { 'Idempotency-Key': key } },
  );

const cimiCreates = () => peers.trail('cimi').filter((line) => line === 'cimi POST /api/service-instance').length;

test('concurrent and repeated submits with one key: one CIMI resource, one instance, one container', async () => {
  peers.recorder.clear();
  const key = `k-${Date.now()}`;
  const [first, second] = await Promise.all([submit(key), submit(key)]);
  expect([first.status, second.status]).toEqual([200, 200]);
  const id: string = first.data.service_instance.id;
  made.push(uuidOf(id));
  expect(second.data.service_instance.id).toBe(id);
  const again = await submit(key, true);
  expect(again.status).toBe(200);
  expect(again.data.service_instance).toMatchObject({ id, status: 'started' });
  expect(cimiCreates()).toBe(1);
  expect(peers.trail('recommender')).toHaveLength(1);
  expect(await containersOf(uuidOf(id))).toHaveLength(1);

  const other = await submit(`${key}-other`);
  expect(other.status).toBe(200);
  made.push(uuidOf(other.data.service_instance.id));
  expect(other.data.service_instance.id).not.toBe(id);
  expect(cimiCreates()).toBe(2);
});

test('a key whose submit failed may be used again, and then stands for the instance it made', async () => {
  peers.recorder.clear();
  const key = `k-failed-${Date.now()}`;
  peers.cimi.failNext('POST', '/api/service-instance', { status: 500 });
  const failed = await submit(key);
  expect(failed.status).toBeGreaterThanOrEqual(500);
  expect(failed.data.error).toBe(true);

  const retried = await submit(key, true);
  expect(retried.status).toBe(200);
  const id: string = retried.data.service_instance.id;
  made.push(uuidOf(id));
  expect(retried.data.service_instance.status).toBe('started');
  expect((await submit(key)).data.service_instance.id).toBe(id);
  expect(cimiCreates()).toBe(2);
});
