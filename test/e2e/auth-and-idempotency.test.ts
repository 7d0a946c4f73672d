/**
 * LM_API_TOKEN guards the client endpoints (the original had no authentication: bug D1), and an
 * Idempotency-Key makes a retried submit or operation take effect once.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf } from '../support/docker-state';
import { dockerService } from '../support/api-calls';
import { uuidOf } from '../../workflows/model/instance';

const TOKEN = 'test-token-1f0c';
let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm({ LM_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await lm?.stop();
});

const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };

test('every endpoint needs the bearer token, the status and health endpoints too; the API description does not', async () => {
  const none = await lm.api.get('/api/v2/lm/service-instances/all');
  expect(none.status).toBe(401);
  expect(none.data).toEqual({ error: true, message: expect.stringMatching(/Authorization: Bearer <LM_API_TOKEN>/) });
  const wrong = await lm.api.get('/api/v2/lm/service-instances/all', { headers: { Authorization: 'Bearer nope' } });
  expect(wrong.status).toBe(401);
  const right = await lm.api.get('/api/v2/lm/service-instances/all', auth);
  expect(right.status).toBe(200);
  expect((await lm.api.get('/api/v2')).status).toBe(401);
  expect((await lm.api.get('/api/v2', auth)).status).toBe(200);
  expect((await lm.api.get('/api/v2/lm/isumalive')).status).toBe(401);
  expect((await lm.api.get('/metrics')).status).toBe(401);
  expect((await lm.api.get('/api/v2/lm.json')).status).toBe(200);
  // No LM_INTERNAL_TOKEN: the internal endpoints take the API token rather than being open.
  expect((await lm.api.put('/api/v2/lm/service-instance-int', {})).status).toBe(401);
  expect((await lm.api.get('/api/v2/lm/check-agent-swarm')).status).toBe(401);
  expect((await lm.api.get('/api/v2/lm/check-agent-swarm', auth)).status).toBe(200);
  const submit = await lm.api.post('/api/v2/lm/service', { service: dockerService() });
  expect(submit.status).toBe(401);
});

test('a submit retried with the same Idempotency-Key returns the same instance and makes one container', async () => {
  const key = `submit-${Date.now()}`;
  const headers = { ...auth.headers, 'Idempotency-Key': key };
  const first = await lm.api.post('/api/v2/lm/service?wait=true', { service: dockerService() }, { headers });
  const second = await lm.api.post('/api/v2/lm/service?wait=true', { service: dockerService() }, { headers });
  expect(first.status).toBe(200);
  expect(second.status).toBe(200);
  const id = first.data.service_instance.id as string;
  expect(second.data.service_instance.id).toBe(id);
  lm.made.push(uuidOf(id));
  expect(await containersOf(uuidOf(id))).toHaveLength(1);

  // Another key is another instance.
  const other = await lm.api.post(
    '/api/v2/lm/service',
    { service: dockerService() },
    { headers: { ...auth.headers, 'Idempotency-Key': `${key}-b` } },
  );
  lm.made.push(uuidOf(other.data.service_instance.id as string));
  expect(other.data.service_instance.id).not.toBe(id);
});

test('an operation retried with the same Idempotency-Key is applied once', async () => {
  const submitted = await lm.api.post('/api/v2/lm/service?wait=true', { service: dockerService() }, auth);
  const uuid = uuidOf(submitted.data.service_instance.id as string);
  lm.made.push(uuid);
  const headers = { ...auth.headers, 'Idempotency-Key': `restart-${uuid}` };
  const first = await lm.api.put(`/api/v2/lm/service-instances/${uuid}?wait=true`, { operation: 'restart' }, { headers });
  const again = await lm.api.put(`/api/v2/lm/service-instances/${uuid}?wait=true`, { operation: 'restart' }, { headers });
  expect(first.status).toBe(200);
  expect(again.status).toBe(200);
  const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`, auth)).data.timeline as Array<{ message?: string }>;
  expect(timeline.filter((e) => e.message === 'restart requested')).toHaveLength(1);
});
