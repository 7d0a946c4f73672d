/**
 * `GET /metrics` of the API (real Temporal, real Docker): requests counted by route template, method and status,
 * never by raw URL; instances by status as visibility counts them; the client token guards it when set;
 * documented in OpenAPI.
 */
import { randomUUID } from 'node:crypto';
import { uuidOf } from '../../workflows/model/instance';
import { dockerService } from '../support/api-calls';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';

const TOKEN = 'metrics-token-7d2e';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm({ LM_API_TOKEN: TOKEN, LM_INSTANCE_COUNT_TTL_S: '0' });
});

afterAll(async () => {
  await lm?.stop();
});

/** The value of one sample line (`name{labels} value`), or undefined when the series does not exist. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = match[2].split(',');
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return undefined;
}

test('requests are counted by route template, method and status; the token guards the endpoint', async () => {
  expect((await lm.api.get('/metrics')).status).toBe(401);

  const unknown = randomUUID();
  for (let i = 0; i < 3; i += 1) {
    expect((await lm.api.get(`/api/v2/lm/service-instances/${unknown}`, auth)).status).toBe(404);
  }
  expect((await lm.api.get('/no/such/endpoint', auth)).status).toBe(404);
  expect((await lm.api.post('/api/v2/lm/service', { service: { exec: 'x' } }, auth)).status).toBe(400);

  const response = await lm.api.get('/metrics', auth);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  const text = response.data as string;
  const count = 'lm_api_request_duration_seconds_count';
  expect(sample(text, count, { method: 'GET', route: '/api/v2/lm/service-instances/:id', status: '404' })).toBe(3);
  expect(sample(text, count, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
  expect(sample(text, count, { method: 'POST', route: '/api/v2/lm/service', status: '400' })).toBe(1);
  expect(sample(text, count, { method: 'GET', route: '/metrics', status: '401' })).toBe(1);
  // Ids never become label values: one series per route, however many instances are asked for.
  expect(text).not.toContain(unknown);
  expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
});

test('lm_instances counts the instances by status as the listing does', async () => {
  const submitted = await lm.api.post('/api/v2/lm/service?wait=true', { service: dockerService({ name: 'counted' }) }, auth);
  expect(submitted.status).toBe(200);
  const uuid = uuidOf(submitted.data.service_instance.id as string);
  lm.made.push(uuid);
  expect((await lm.api.put(`/api/v2/lm/service-instances/${uuid}?wait=true`, { operation: 'stop' }, auth)).status).toBe(200);
  await eventually(
    'the stopped instance counted alike by /metrics and the listing',
    async () => {
      const listed = (await lm.api.get('/api/v2/lm/service-instances/all?status=stopped', auth)).data.count as number;
      const scraped = sample((await lm.api.get('/metrics', auth)).data as string, 'lm_instances', { status: 'stopped' });
      return listed >= 1 && scraped === listed ? true : undefined;
    },
    15_000,
    200,
  );
  const text = (await lm.api.get('/metrics', auth)).data as string;
  // Every status has its series, zero or not.
  for (const status of ['started', 'error', 'terminated']) expect(sample(text, 'lm_instances', { status })).toEqual(expect.any(Number));
});

test('the OpenAPI document describes /metrics as Prometheus text behind the client token', async () => {
  const doc = (await lm.api.get('/api/v2/lm')).data as {
    paths: Record<string, { get?: { security: unknown; responses: Record<string, { content?: Record<string, unknown> }> } }>;
  };
  const metrics = doc.paths['/metrics']?.get;
  expect(metrics).toBeDefined();
  expect(metrics?.security).toEqual([{ clientToken: [] }]);
  expect(Object.keys(metrics?.responses['200'].content ?? {})).toEqual([expect.stringMatching(/^text\/plain; version=0\.0\.4/)]);
});
