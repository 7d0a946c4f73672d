/**
 * Client errors are 4xx and limits are 429s (real Temporal, real Docker): a page token Temporal did not issue,
 * an instance whose workflow task fails (503 with Retry-After, never a 500), Idempotency-Keys scoped per
 * operation and refused (422) when reused for another request — across API processes —, and the per-client
 * limits on timeline streams and long polls.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { submit } from '../support/api-calls';
import { startBrokenInstance, type BrokenInstance } from '../support/broken-instance';
import { openEventStream } from '../support/event-stream';

let lm: LmHarness;
let other: LmHarness;
let broken: BrokenInstance | null = null;

beforeAll(async () => {
  lm = await startLm({ LM_MAX_STREAMS_PER_CLIENT: '1', LM_MAX_LONG_POLLS_PER_CLIENT: '1' });
  other = await startLm({}, { workers: false });
});

afterAll(async () => {
  await broken?.handle.terminate('test over').catch(() => undefined);
  await other?.stop();
  await lm?.stop();
});

test('a page_token this listing did not give is a 400', async () => {
  const bogus = await lm.api.get('/api/v2/lm/service-instances/all?page_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  expect({ status: bogus.status, message: bogus.data.message }).toEqual({
    status: 400,
    message: expect.stringMatching(/page_token is not a next_page_token/),
  });
});

test('an instance whose workflow task is failing answers 503 with Retry-After and the reason, never a 500', async () => {
  broken = await startBrokenInstance(lm.client, lm.api);
  const url = `/api/v2/lm/service-instances/${broken.uuid}`;
  for (const response of [await lm.api.get(`${url}/timeline`), await lm.api.put(url, { operation: 'stop' }), await lm.api.delete(url)]) {
    expect({ status: response.status, retryAfter: response.headers['retry-after'], message: response.data.message }).toEqual({
      status: 503,
      retryAfter: '10',
      message: expect.stringMatching(/workflow task is failing or being retried \(.*failed state.*\)/),
    });
  }
});

test('Idempotency-Key: scoped per operation, replayed for the same request, 422 for another, in any API process', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const url = `/api/v2/lm/service-instances/${uuid}?wait=true`;
  const key = { headers: { 'Idempotency-Key': `op-${uuid}` } };
  const stopped = await lm.api.put(url, { operation: 'stop' }, key);
  expect(stopped.data.service_instance?.status).toBe('stopped');
  // The same key on another operation is another request: applied.
  const started = await lm.api.put(url, { operation: 'start' }, key);
  expect(started.data.service_instance?.status).toBe('started');
  // The same stop again: replayed, not applied again (the instance stays started).
  const replayed = await lm.api.put(url, { operation: 'stop' }, key);
  expect(replayed.status).toBe(200);
  const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{ message?: string }>;
  expect(timeline.filter((e) => e.message === 'stop requested')).toHaveLength(1);
  // Another body (or path) with the key: 422 naming it, from another API process too.
  const otherBody = await other.api.put(url, { operation: 'stop', reason: 'else' }, key);
  expect({ status: otherBody.status, message: otherBody.data.message }).toEqual({
    status: 422,
    message: expect.stringContaining(`Idempotency-Key "op-${uuid}"`),
  });
  const otherPath = await other.api.put('/api/v2/lm/service-instances/00000000-0000-4000-8000-000000000000', { operation: 'stop' }, key);
  expect(otherPath.status).toBe(422);
  // A spelling of the same path is the same request.
  const spelled = await lm.api.put(`/api/v2/lm/service-instance/${uuid.toUpperCase()}`, { operation: 'stop' }, key);
  expect(spelled.status).toBe(200);
  const badKey = await lm.api.put(url, { operation: 'stop' }, { headers: { 'Idempotency-Key': 'x'.repeat(201) } });
  expect(badKey.status).toBe(400);
});

test('one client gets at most LM_MAX_STREAMS_PER_CLIENT streams and LM_MAX_LONG_POLLS_PER_CLIENT long polls; then 429 with Retry-After', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const base = `/api/v2/lm/service-instances/${uuid}/timeline`;
  const first = await openEventStream(lm.api, `${base}/stream`);
  expect(first.status).toBe(200);
  const second = await lm.api.get(`${base}/stream`);
  expect({ status: second.status, retryAfter: second.headers['retry-after'], message: second.data.message }).toEqual({
    status: 429,
    retryAfter: '5',
    message: expect.stringMatching(/too many timeline streams .*at most 1 at once \(LM_MAX_STREAMS_PER_CLIENT\)/),
  });
  first.close();
  const next = (await lm.api.get(base)).data.next as number;
  const polling = lm.api.get(`${base}?since=${next}&wait=3`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const refused = await lm.api.get(`${base}?since=${next}&wait=3`);
  expect({ status: refused.status, retryAfter: refused.headers['retry-after'] }).toEqual({ status: 429, retryAfter: '5' });
  expect((await polling).status).toBe(200);
  // Slots come back: a closed stream and a finished long poll leave room for the next.
  const again = await openEventStream(lm.api, `${base}/stream`);
  expect(again.status).toBe(200);
  again.close();
  expect((await lm.api.get(`${base}?since=${next}&wait=1`)).status).toBe(200);
});

test('a next_page_token serves the filter that gave it, and no other', async () => {
  const first = await lm.api.get('/api/v2/lm/service-instances/all?page_size=1');
  const token = first.data.next_page_token as string;
  expect(typeof token).toBe('string');
  expect((await lm.api.get(`/api/v2/lm/service-instances/all?page_size=1&page_token=${token}`)).status).toBe(200);
  const elsewhere = await lm.api.get(`/api/v2/lm/service-instances/all?page_size=1&status=stopped&page_token=${token}`);
  expect(elsewhere.status).toBe(400);
});
