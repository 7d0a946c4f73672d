/**
 * Followers of one instance's timeline share the API's queries: each first read is its own (it sees what just
 * happened), the polls after it at the same entry are shared. The Temporal client is a stand-in here, counting
 * the queries it receives; the real server is in test/e2e/timeline-follow.test.ts.
 */
import type { Client } from '@temporalio/client';
import { InstanceGateway } from '../../api/instance-gateway';
import { loadConfig } from '../../common/config';
import type { TimelinePage } from '../../workflows/model/instance';

function countingClient(page: () => TimelinePage): { client: Client; queries: () => number } {
  let queries = 0;
  const handle = {
    query: async (): Promise<TimelinePage> => {
      queries += 1;
      return page();
    },
  };
  const client = { workflow: { getHandle: () => handle }, withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() };
  return { client: client as unknown as Client, queries: () => queries };
}

const quiet: TimelinePage = { entries: [], next: 3, status: 'started', ended: false };

test('five streams of one instance: five first reads, then one shared query per poll', async () => {
  const { client, queries } = countingClient(() => quiet);
  const gateway = new InstanceGateway(client, loadConfig({}));
  const polls = 3;
  const follow = async (): Promise<number> => {
    let reads = 0;
    for await (const page of gateway.followTimeline('2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77', 3, () => reads >= polls)) {
      expect(page).toEqual(quiet);
      reads += 1;
    }
    return reads;
  };
  expect(await Promise.all(Array.from({ length: 5 }, follow))).toEqual([3, 3, 3, 3, 3]);
  // Unshared it would be 15; the two polls after the first reads are shared (a straggler may make one more).
  expect(queries()).toBeGreaterThanOrEqual(5 + 2);
  expect(queries()).toBeLessThanOrEqual(5 + 2 * 2);
});

test('a stream ends after the read that says the instance has ended', async () => {
  let n = 0;
  const { client } = countingClient(() => ({ ...quiet, ended: ++n >= 2, status: n >= 2 ? 'terminated' : 'started' }));
  const gateway = new InstanceGateway(client, loadConfig({}));
  const seen: string[] = [];
  for await (const page of gateway.followTimeline('2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77', 0, () => false)) seen.push(page.status);
  expect(seen).toEqual(['started', 'terminated']);
});
