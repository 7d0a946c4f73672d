/**
 * The API process stops on SIGTERM even while clients follow timelines (real Temporal, real Docker): an open
 * stream and a long poll get a short grace, then are cut, instead of holding the process for minutes.
 */
import axios from 'axios';
import { once } from 'node:events';
import { submit } from '../support/api-calls';
import { eventually } from '../support/eventually';
import { openEventStream } from '../support/event-stream';
import { freePort } from '../support/free-port';
import { startLm, testTemporalAddress, type LmHarness } from '../support/lm-harness';
import { startApiProcess, type LmProcess } from '../support/lm-process';

let lm: LmHarness;
let api: LmProcess | undefined;

beforeAll(async () => {
  lm = await startLm();
});

afterAll(async () => {
  await api?.kill('SIGKILL');
  await lm?.stop();
});

test('SIGTERM ends the API process while a timeline stream and a long poll are open', async () => {
  const { uuid } = await submit(lm.api);
  lm.made.push(uuid);
  const port = await freePort();
  api = startApiProcess({ LM_PORT: String(port), TEMPORAL_ADDRESS: testTemporalAddress(), STANDALONE_MODE: 'True' });
  const client = axios.create({ baseURL: `http://127.0.0.1:${port}`, validateStatus: () => true });
  await eventually(
    'the API process answers',
    async () => ((await client.get('/api/v2').catch(() => undefined))?.status === 200 ? true : undefined),
    30_000,
  );

  const stream = await openEventStream(client, `/api/v2/lm/service-instances/${uuid}/timeline/stream`);
  await stream.waitFor((e) => e.event === 'status');
  const { next } = (await client.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data as { next: number };
  const longPoll = client.get(`/api/v2/lm/service-instances/${uuid}/timeline?since=${next}&wait=60`).catch((err: unknown) => err);

  const exited = once(api.process, 'exit');
  api.process.kill('SIGTERM');
  // Far below the long poll's 60 s and the stream's forever: the process did not wait for them.
  const [code] = (await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(['still running']), 20_000))])) as [
    unknown,
  ];
  expect(code).toBe(0);
  await stream.closed;
  expect(stream.events.some((e) => e.event === 'end')).toBe(false);
  expect(await longPoll).toBeInstanceOf(Error);
});
