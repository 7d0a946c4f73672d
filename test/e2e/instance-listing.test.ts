/**
 * `GET …/service-instances/all` (real Temporal visibility): filtered by service, user and status, paginated with
 * `page_size` / `next_page_token` without loss or repeat, terminated instances only when asked for, and bad
 * filters answered 400. Names and users are unique to this run: other suites' instances share the dev server.
 */
import { randomUUID } from 'node:crypto';
import { uuidOf, type ServiceInstance } from '../../workflows/model/instance';
import { operate, submit } from '../support/api-calls';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';

let lm: LmHarness;
const tag = randomUUID().slice(0, 8);
const NAME = `listed-${tag}`;
const USER = `lister-${tag}`;

interface ListAnswer {
  service_instances: ServiceInstance[];
  count: number;
  next_page_token: string | null;
}

async function list(query: string): Promise<ListAnswer> {
  const response = await lm.api.get(`/api/v2/lm/service-instances/all?${query}`);
  expect(response.status).toBe(200);
  return response.data as ListAnswer;
}

/** Visibility follows the workflows within moments: wait until the listing shows what is expected. */
async function listed(query: string, ids: string[]): Promise<ListAnswer> {
  return eventually(
    `${query} lists ${ids.length} instance(s)`,
    async () => {
      const answer = await list(query);
      const got = answer.service_instances.map((i) => i.id).sort();
      return JSON.stringify(got) === JSON.stringify([...ids].sort()) ? answer : undefined;
    },
    15_000,
    200,
  );
}

let a: ServiceInstance;
let b: ServiceInstance;
let c: ServiceInstance;

beforeAll(async () => {
  lm = await startLm();
  a = (await submit(lm.api, { name: NAME, extra: { user_id: USER } })).instance;
  b = (await submit(lm.api, { name: NAME })).instance;
  c = (await submit(lm.api, { name: `other-${tag}`, extra: { user_id: USER } })).instance;
  for (const instance of [a, b, c]) lm.made.push(uuidOf(instance.id));
});

afterAll(async () => {
  await lm?.stop();
});

test('filters by service name, user and status', async () => {
  const byName = await listed(`service=${NAME}`, [a.id, b.id]);
  expect(byName.count).toBe(2);
  await listed(`user=${USER}`, [a.id, c.id]);
  await listed(`service=${NAME}&user=${USER}`, [a.id]);

  expect((await operate(lm.api, uuidOf(b.id), 'stop')).status).toBe(200);
  const stopped = await listed(`service=${NAME}&status=stopped`, [b.id]);
  expect(stopped.service_instances[0].status).toBe('stopped');
  await listed(`service=${NAME}&status=started,stopped`, [a.id, b.id]);
});

test('pages of page_size follow next_page_token to the end, each instance once', async () => {
  await listed(`service=${NAME}`, [a.id, b.id]);
  const first = await list(`service=${NAME}&page_size=1`);
  expect(first.service_instances).toHaveLength(1);
  expect(first.count).toBe(2);
  expect(first.next_page_token).toMatch(/^[A-Za-z0-9_-]+$/);
  const second = await list(`service=${NAME}&page_size=1&page_token=${first.next_page_token}`);
  expect(second.service_instances).toHaveLength(1);
  const seen = [...first.service_instances, ...second.service_instances].map((i) => i.id).sort();
  expect(seen).toEqual([a.id, b.id].sort());
  if (second.next_page_token !== null) {
    expect((await list(`service=${NAME}&page_size=1&page_token=${second.next_page_token}`)).service_instances).toHaveLength(0);
  }
});

test('a terminated instance is listed only when asked for', async () => {
  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuidOf(c.id)}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  await listed(`user=${USER}`, [a.id]);
  await listed(`user=${USER}&status=terminated`, [c.id]);
});

test.each([
  ['status=running', /unknown status running: use /],
  ['page_size=0', /page_size/],
  ['page_size=5000', /page_size/],
  ['page_token=not!a!token', /page_token must be a next_page_token from a previous page/],
  ["user=a'b", /user has characters that are not allowed/],
])('%s is a 400 that says what to send', async (query, message) => {
  const response = await lm.api.get(`/api/v2/lm/service-instances/all?${query}`);
  expect(response.status).toBe(400);
  expect(response.data).toMatchObject({ error: true, message: expect.stringMatching(message) });
});
