/**
 * Following an instance live through its timeline (real Temporal, real Docker): `since` returns only the entries
 * after what was read, `next` says where to go on, and `wait` long-polls until the next entry comes; the
 * stream sends each entry once as a server-sent event, resumes after Last-Event-ID, and ends at terminate.
 */
import type { TimelineEntry } from '../../workflows/model/instance';
import { operate, submit } from '../support/api-calls';
import { openEventStream, type StreamEvent } from '../support/event-stream';
import { startLm, type LmHarness } from '../support/lm-harness';

let lm: LmHarness;

beforeAll(async () => {
  lm = await startLm();
});

afterAll(async () => {
  await lm?.stop();
});

interface Page {
  timeline: TimelineEntry[];
  next: number;
  status: string;
  ended: boolean;
}

async function timeline(uuid: string, query: string): Promise<Page> {
  const response = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline${query}`);
  expect(response.status).toBe(200);
  return response.data as Page;
}

test('since and next read each entry once; a long poll answers when the next entry comes', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const all = await timeline(uuid, '');
  expect(all.next).toBe(all.timeline.length);
  expect(all.timeline.some((e) => e.step === 'deploy' && /finished: the instance is started/.test(e.message ?? ''))).toBe(true);
  const tail = await timeline(uuid, `?since=${all.next - 2}`);
  expect(tail.timeline).toEqual(all.timeline.slice(-2));
  expect(tail.next).toBe(all.next);

  // Nothing new: the poll waits, then answers empty with the same next.
  const started = Date.now();
  const quiet = await timeline(uuid, `?since=${all.next}&wait=1`);
  expect(quiet).toMatchObject({ timeline: [], next: all.next });
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);

  // A stop sent while the poll waits: the poll answers with its first entries, the next poll with the rest.
  const polled = timeline(uuid, `?since=${all.next}&wait=30`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stopped = await operate(lm.api, uuid, 'stop');
  expect(stopped.status).toBe(200);
  const first = await polled;
  expect(first.timeline.length).toBeGreaterThan(0);
  expect(first.timeline[0]).toMatchObject({ step: 'stop', message: 'stop requested' });
  expect(first.next).toBe(all.next + first.timeline.length);
  const rest = await timeline(uuid, `?since=${first.next}`);
  const steps = [...first.timeline, ...rest.timeline].map((e) => `${e.step} ${e.outcome}`);
  expect(steps).toEqual(['stop info', 'stop ok', 'stop ok']);
});

test('bad since or wait is a 400 that says what to send; an unknown instance is a 404', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const negative = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline?since=-1`);
  expect(negative.status).toBe(400);
  expect(negative.data.message).toMatch(/since must be between 0 and/);
  const tooLong = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline?wait=600`);
  expect(tooLong.status).toBe(400);
  expect(tooLong.data.message).toMatch(/wait must be between 0 and 60 seconds/);
  const words = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline?since=latest`);
  expect(words.status).toBe(400);
  expect(words.data.message).toMatch(/since must be a number/);
  const unknown = await lm.api.get('/api/v2/lm/service-instances/00000000-0000-4000-8000-000000000000/timeline?wait=5');
  expect(unknown.status).toBe(404);
});

const entryNumbers = (events: StreamEvent[]) => events.filter((e) => e.event === 'entry').map((e) => Number(e.id));

test('the stream sends every entry with its number and the status as it changes, and ends at terminate', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const all = await timeline(uuid, '');
  expect(all).toMatchObject({ status: 'started', ended: false });
  const stream = await openEventStream(lm.api, `/api/v2/lm/service-instances/${uuid}/timeline/stream`);
  try {
    expect(stream.status).toBe(200);
    await stream.waitFor((e) => e.event === 'status');
    expect(entryNumbers(stream.events)).toEqual(all.timeline.map((_, i) => i));
    expect(stream.events.filter((e) => e.event === 'entry').map((e) => e.data)).toEqual(all.timeline);
    expect(stream.events.filter((e) => e.event === 'status').map((e) => e.data)).toEqual([{ status: 'started' }]);

    expect((await operate(lm.api, uuid, 'stop')).status).toBe(200);
    await stream.waitFor((e) => e.event === 'status' && (e.data as { status: string }).status === 'stopped');
    expect(stream.events.find((e) => e.event === 'entry' && Number(e.id) === all.next)?.data).toMatchObject({
      step: 'stop',
      message: 'stop requested',
    });

    expect((await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`)).status).toBe(200);
    const end = await stream.waitFor((e) => e.event === 'end');
    await stream.closed;
    const final = await timeline(uuid, '');
    expect(end.data).toEqual({ status: 'terminated', next: final.next });
    // Each entry once, numbered without a gap, the same as a page read of the whole timeline.
    expect(entryNumbers(stream.events)).toEqual(final.timeline.map((_, i) => i));
    expect(stream.events.filter((e) => e.event === 'status').map((e) => (e.data as { status: string }).status)).toEqual(
      expect.arrayContaining(['started', 'stopped', 'terminated']),
    );
    expect(stream.events.at(-1)?.event).toBe('end');
  } finally {
    stream.close();
  }
});

test('a reconnecting stream resumes after Last-Event-ID, or from since', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const all = await timeline(uuid, '');
  const resumed = await openEventStream(lm.api, `/api/v2/lm/service-instances/${uuid}/timeline/stream`, {
    'Last-Event-ID': String(all.next - 2),
  });
  const fromSince = await openEventStream(lm.api, `/api/v2/lm/service-instances/${uuid}/timeline/stream?since=${all.next}`);
  try {
    await resumed.waitFor((e) => e.event === 'status');
    await fromSince.waitFor((e) => e.event === 'status');
    expect(entryNumbers(resumed.events)).toEqual([all.next - 1]);
    expect(entryNumbers(fromSince.events)).toEqual([]);
  } finally {
    resumed.close();
    fromSince.close();
  }
});

test('a bad Last-Event-ID or since is a JSON 400 and an unknown instance a JSON 404, before any event', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const badId = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline/stream`, { headers: { 'Last-Event-ID': 'latest' } });
  expect(badId.status).toBe(400);
  expect(badId.data.message).toMatch(/Last-Event-ID must be the id of an entry event/);
  const badSince = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline/stream?since=-3`);
  expect(badSince.status).toBe(400);
  expect(badSince.data.message).toMatch(/since must be between 0 and/);
  const unknown = await lm.api.get('/api/v2/lm/service-instances/00000000-0000-4000-8000-000000000000/timeline/stream');
  expect(unknown.status).toBe(404);
  expect(unknown.headers['content-type']).toMatch(/application\/json/);
});
