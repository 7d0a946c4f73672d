/**
 * The read-model stores on the real databases (an SQLite file; the run's PostgreSQL), the same cases on both:
 * projections ordered by (epoch, revision), entries once by number, listings filtered and paged by keyset,
 * counts, and changes made by another connection waking a listener.
 */
import { openReadModel } from '../../common/read-model/open-read-model';
import type { ReadModelStore } from '../../common/read-model/read-model-store';
import type { ServiceInstance, TimelineEntry } from '../../workflows/model/instance';
import type { InstanceProjection } from '../../workflows/model/projection';
import type { InstanceStatus } from '../../workflows/model/status';
import { ownReadModel, STORE_KINDS, type OwnReadModel } from '../support/read-model';

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function document(n: number, fields: Partial<ServiceInstance> = {}): ServiceInstance {
  return {
    id: `service-instance/${uuid(n)}`,
    user: 'alice',
    device_id: 'not-defined',
    device_ip: '127.0.0.1',
    parent_device_id: 'not-defined',
    parent_device_ip: 'not-defined',
    service: `service/${n % 3}`,
    service_name: `web-${n % 3}`,
    agreement: 'not-defined',
    status: 'started',
    service_type: 'docker',
    created: `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`,
    updated: '2026-01-01T00:01:00.000Z',
    agents: [],
    error: null,
    ...fields,
  };
}

function entry(step: string): TimelineEntry {
  return { at: '2026-01-01T00:00:00.000Z', step, outcome: 'info', message: step };
}

function projection(
  n: number,
  version: { epoch?: number; revision: number },
  fields: Partial<InstanceProjection> = {},
): InstanceProjection {
  return {
    uuid: uuid(n),
    epoch: version.epoch ?? 1_000,
    revision: version.revision,
    instance: document(n),
    ended: false,
    timelineNext: 0,
    firstEntry: 0,
    entries: [],
    ...fields,
  };
}

describe.each(STORE_KINDS)('the %s read model', (kind) => {
  let own: OwnReadModel;
  let store: ReadModelStore;

  beforeAll(async () => {
    own = await ownReadModel(kind);
    store = await openReadModel(own.location);
  });

  afterAll(async () => {
    await store?.close();
    await own?.drop();
  });

  test('a projection is kept only when its (epoch, revision) is newer', async () => {
    expect(await store.project(projection(1, { revision: 2 }, { instance: document(1, { status: 'deploying' }) }))).toBe(true);
    expect(await store.project(projection(1, { revision: 3 }, { instance: document(1, { status: 'started' }) }))).toBe(true);
    // A retried or replayed older projection, and the same revision again, change nothing.
    expect(await store.project(projection(1, { revision: 2 }, { instance: document(1, { status: 'error' }) }))).toBe(false);
    expect(await store.project(projection(1, { revision: 3 }, { instance: document(1, { status: 'error' }) }))).toBe(false);
    const stored = await store.instance(uuid(1));
    expect(stored).toMatchObject({ epoch: 1_000, revision: 3, ended: false });
    expect(stored?.instance).toEqual(document(1, { status: 'started' }));
    expect(await store.instance(uuid(999))).toBeNull();
  });

  test("the API's write of a submitted instance never overwrites the workflow's projection", async () => {
    expect(await store.project(projection(2, { epoch: 0, revision: 0 }, { instance: document(2, { status: 'deploying' }) }))).toBe(true);
    expect(await store.project(projection(2, { revision: 1 }, { instance: document(2, { status: 'started' }) }))).toBe(true);
    expect(await store.project(projection(2, { epoch: 0, revision: 0 }, { instance: document(2, { status: 'deploying' }) }))).toBe(false);
    expect((await store.instance(uuid(2)))?.instance.status).toBe('started');
  });

  test('timeline entries are kept once by number, and read from any number on', async () => {
    const n = 3;
    await store.project(projection(n, { revision: 1 }, { timelineNext: 2, firstEntry: 0, entries: [entry('a'), entry('b')] }));
    // The retry of a projection whose answer was lost, then the next one overlapping it.
    expect(await store.project(projection(n, { revision: 1 }, { timelineNext: 2, firstEntry: 0, entries: [entry('a'), entry('b')] }))).toBe(
      false,
    );
    await store.project(projection(n, { revision: 2 }, { timelineNext: 4, firstEntry: 1, entries: [entry('b'), entry('c'), entry('d')] }));
    const page = await store.timeline(uuid(n), 0, 100);
    expect(page?.entries.map((e) => e.step)).toEqual(['a', 'b', 'c', 'd']);
    expect(page).toMatchObject({ next: 4, status: 'started', ended: false });
    expect((await store.timeline(uuid(n), 3, 100))?.entries.map((e) => e.step)).toEqual(['d']);
    // A page of a limit ends where the limit does; the instance has not ended for that reader yet.
    await store.project(projection(n, { revision: 3 }, { timelineNext: 4, ended: true, instance: document(n, { status: 'terminated' }) }));
    expect(await store.timeline(uuid(n), 0, 2)).toMatchObject({ next: 2, ended: false });
    expect(await store.timeline(uuid(n), 2, 2)).toMatchObject({ next: 4, ended: true, status: 'terminated' });
    expect(await store.timeline(uuid(999), 0, 10)).toBeNull();
  });

  test("a later chain of the same instance id replaces the earlier one's document and entries", async () => {
    const n = 4;
    await store.project(
      projection(n, { epoch: 1_000, revision: 9 }, { timelineNext: 2, entries: [entry('old-0'), entry('old-1')], ended: true }),
    );
    await store.project(projection(n, { epoch: 2_000, revision: 1 }, { timelineNext: 1, entries: [entry('new-0')] }));
    // A late projection of the earlier chain changes nothing.
    expect(
      await store.project(projection(n, { epoch: 1_000, revision: 10 }, { timelineNext: 3, firstEntry: 2, entries: [entry('old-2')] })),
    ).toBe(false);
    expect(await store.timeline(uuid(n), 0, 100)).toMatchObject({ next: 1, ended: false, entries: [entry('new-0')] });
  });

  test('listings filter by status, user, service and exec type, newest first, paged by keyset without loss or repeat', async () => {
    const statuses: InstanceStatus[] = ['started', 'stopped', 'error'];
    for (let n = 100; n < 130; n += 1) {
      await store.project(
        projection(
          n,
          { revision: 1 },
          {
            instance: document(n, {
              status: statuses[n % 3],
              user: n % 2 === 0 ? 'bob' : 'carol',
              service_type: n % 5 === 0 ? 'compss' : 'docker',
            }),
          },
        ),
      );
    }
    const filter = { statuses: [] as InstanceStatus[], user: 'bob' };
    const seen: string[] = [];
    let after = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await store.list(filter, 4, after);
      seen.push(...page.instances.map((i) => i.id));
      after = page.next;
      if (after === null) break;
    }
    const bobs = Array.from({ length: 15 }, (_, i) => 100 + 2 * i);
    expect(seen).toHaveLength(bobs.length);
    expect(new Set(seen).size).toBe(bobs.length);
    // Newest first: created descending, then uuid descending.
    const expected = bobs
      .map((n) => document(n))
      .sort((a, b) => (a.created === b.created ? b.id.localeCompare(a.id) : b.created.localeCompare(a.created)))
      .map((d) => d.id);
    expect(seen).toEqual(expected);
    expect(await store.count(filter)).toBe(15);

    expect(await store.count({ statuses: ['stopped'], user: 'bob' })).toBe(bobs.filter((n) => n % 3 === 1).length);
    // web-1 instances are all stopped (status and service both follow n % 3).
    expect(await store.count({ statuses: ['started', 'error'], service: 'web-1', user: 'bob' })).toBe(0);
    expect(await store.count({ statuses: ['stopped'], service: 'web-1' })).toBe(10);
    expect(await store.count({ statuses: [], service: 'service/2', user: 'bob' })).toBe(bobs.filter((n) => n % 3 === 2).length);
    expect(await store.count({ statuses: [], execType: 'compss' })).toBe(6);
    const page = await store.list({ statuses: ['error'], execType: 'compss' }, 50, null);
    expect(page.instances.map((i) => i.id).sort()).toEqual(
      [105, 110, 115, 120, 125]
        .filter((n) => n % 3 === 2)
        .map((n) => document(n).id)
        .sort(),
    );
    expect(page.next).toBeNull();
  });

  test('counts by status', async () => {
    const counts = Object.fromEntries((await store.countByStatus()).map((c) => [c.status, c.count]));
    expect(counts.stopped).toBe(10);
    expect(counts.error).toBe(10);
  });

  test('a change made through another connection (another process) wakes a listener with its uuid', async () => {
    const other = await openReadModel(own.location);
    const seen: Array<string | null> = [];
    const unsubscribe = store.onChange((changed) => seen.push(changed));
    try {
      // The listener is in place once the feed reports it (PostgreSQL: LISTEN is sent on subscribe).
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.project(projection(5, { revision: 1 }));
      const deadline = Date.now() + 5_000;
      while (!seen.includes(uuid(5)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toContain(uuid(5));
      // An unchanged projection wakes nobody.
      seen.length = 0;
      await other.project(projection(5, { revision: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen.filter((u) => u === uuid(5))).toEqual([]);
    } finally {
      unsubscribe();
      await other.close();
    }
  });

  test('removed instances are gone with their entries', async () => {
    await store.remove([uuid(3), uuid(4)]);
    expect(await store.instance(uuid(3))).toBeNull();
    expect(await store.timeline(uuid(4), 0, 10)).toBeNull();
    expect((await store.uuids()).map((u) => u.uuid)).not.toContain(uuid(3));
  });
});
