/**
 * The API reads from the read model, kept current by the workflows (real Temporal, real Docker, on SQLite and on
 * the run's PostgreSQL): what the API answered is what the next GET sees, the projection matches the workflow,
 * `consistent=true` asks the workflow instead, and long polls and streams are woken by new rows of the read model.
 * To tell a read of the read model from a query, some cases write a projection no workflow made straight into the
 * store: only a read of the store can see it.
 */
import type { ServiceInstance, TimelineEntry } from '../../workflows/model/instance';
import { projectionQuery } from '../../workflows/messages';
import type { InstanceProjection } from '../../workflows/model/projection';
import { instanceIdOf } from '../../workflows/model/instance';
import { operate, submit } from '../support/api-calls';
import { openEventStream } from '../support/event-stream';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { ownReadModel, renameInstancesTable, STORE_KINDS, type OwnReadModel } from '../support/read-model';

const note = (message: string): TimelineEntry => ({ at: new Date().toISOString(), step: 'note', outcome: 'info', message });

describe.each(STORE_KINDS)('reads from the %s read model', (kind) => {
  let own: OwnReadModel;
  let lm: LmHarness;

  beforeAll(async () => {
    own = await ownReadModel(kind);
    lm = await startLm(own.env);
  });

  afterAll(async () => {
    await lm?.stop();
    await own?.drop();
  });

  /** What the workflow would project now: its version and document. */
  async function workflowProjection(uuid: string): Promise<InstanceProjection> {
    return lm.client.workflow.getHandle(instanceIdOf(uuid)).query(projectionQuery, 0);
  }

  /** A projection no workflow made, one revision ahead of the stored one. */
  async function forge(uuid: string, change: (stored: InstanceProjection) => Partial<InstanceProjection>): Promise<void> {
    const stored = await lm.readModel.instance(uuid);
    if (stored === null) throw new Error(`${uuid} is not in the read model`);
    const base: InstanceProjection = {
      uuid,
      epoch: stored.epoch,
      revision: stored.revision,
      instance: stored.instance,
      ended: stored.ended,
      timelineNext: stored.timelineNext,
      firstEntry: stored.timelineNext,
      entries: [],
    };
    await lm.readModel.project({ ...base, ...change(base), revision: stored.revision + 1 });
  }

  test('what the API answered is what the next GET sees, and the read model ends where the workflow is', async () => {
    const submitted = await submit(lm.api, { wait: false });
    lm.made.push(submitted.uuid);
    const { uuid } = submitted;
    // Read-your-writes: right after the answer, the read model has the instance (the API wrote it).
    expect((await lm.readModel.instance(uuid))?.instance.id).toBe(submitted.instance.id);
    const first = await lm.api.get(`/api/v2/lm/service-instances/${uuid}`);
    expect(first.status).toBe(200);
    expect(first.data.service_instance.id).toBe(submitted.instance.id);
    await eventually(
      'started',
      async () => ((await lm.readModel.instance(uuid))?.instance.status === 'started' ? true : undefined),
      60_000,
      100,
    );

    const stop = await operate(lm.api, uuid, 'stop', false);
    expect(stop.status).toBe(200);
    const after = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}`)).data.service_instance as ServiceInstance;
    // Answered once accepted (or done, when the stop took less than a moment): the GET is there or later.
    expect(['stopping', 'stopped']).toContain(stop.data.service_instance.status);
    expect(after.status).toMatch(stop.data.service_instance.status === 'stopped' ? /^stopped$/ : /^stopp(ing|ed)$/);

    // A start is refused while the stop runs: wait for the read model to see it done.
    await eventually(
      'stopped',
      async () =>
        (await lm.api.get(`/api/v2/lm/service-instances/${uuid}`)).data.service_instance.status === 'stopped' ? true : undefined,
      60_000,
      100,
    );
    const settled = await operate(lm.api, uuid, 'start');
    expect(settled.status).toBe(200);
    expect(settled.data.service_instance.status).toBe('started');
    expect((await lm.api.get(`/api/v2/lm/service-instances/${uuid}`)).data.service_instance).toEqual(settled.data.service_instance);

    // The read model holds what the workflow has: the same version, document and entries.
    const projected = await workflowProjection(uuid);
    const stored = await lm.readModel.instance(uuid);
    expect(stored).toEqual({
      epoch: projected.epoch,
      revision: projected.revision,
      ended: false,
      timelineNext: projected.timelineNext,
      instance: projected.instance,
    });
    expect(projected.revision).toBeGreaterThan(3);
    const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data;
    expect(timeline.timeline).toEqual(projected.entries);
    expect(timeline.next).toBe(projected.timelineNext);
  });

  test('GET, listings and timelines read the read model; consistent=true asks the workflow', async () => {
    const { uuid, instance } = await submit(lm.api, { name: `forged-${kind}` });
    lm.made.push(uuid);
    await forge(uuid, (base) => ({ instance: { ...base.instance, service_name: 'only-in-the-read-model' } }));

    const read = await lm.api.get(`/api/v2/lm/service-instances/${uuid}`);
    expect(read.data.service_instance.service_name).toBe('only-in-the-read-model');
    const consistent = await lm.api.get(`/api/v2/lm/service-instances/${uuid}?consistent=true`);
    expect(consistent.data.service_instance).toEqual(instance);

    const listed = await lm.api.get('/api/v2/lm/service-instances/all?service=only-in-the-read-model');
    expect(listed.data.service_instances.map((i: ServiceInstance) => i.id)).toEqual([instance.id]);
    expect(listed.data.count).toBe(1);
    // Visibility has never heard of that name.
    const visible = await lm.api.get('/api/v2/lm/service-instances/all?service=only-in-the-read-model&consistent=true');
    expect(visible.data.service_instances).toEqual([]);

    await forge(uuid, (base) => ({ timelineNext: base.timelineNext + 1, entries: [note('written to the read model only')] }));
    const page = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data;
    expect(page.timeline[page.timeline.length - 1]).toMatchObject({ message: 'written to the read model only' });
    const fromWorkflow = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline?consistent=true`)).data;
    expect(fromWorkflow.timeline.map((e: TimelineEntry) => e.message)).not.toContain('written to the read model only');
  });

  test('a long poll and a stream wake at the new row, not at a poll of the workflow', async () => {
    const { uuid } = await submit(lm.api);
    lm.made.push(uuid);
    const head = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data as { next: number };

    const stream = await openEventStream(lm.api, `/api/v2/lm/service-instances/${uuid}/timeline/stream?since=${head.next}`);
    try {
      const polled = lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline?since=${head.next}&wait=30`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const written = Date.now();
      await forge(uuid, (base) => ({ timelineNext: base.timelineNext + 1, entries: [note('wake up')] }));

      const answer = await polled;
      expect(answer.data.timeline).toEqual([expect.objectContaining({ message: 'wake up' })]);
      const event = await stream.waitFor((e) => e.event === 'entry', 5_000);
      expect(event).toMatchObject({ id: String(head.next), data: { message: 'wake up' } });
      // Woken by the row: well within the 5 s a stream otherwise waits between reads.
      expect(Date.now() - written).toBeLessThan(2_000);
    } finally {
      stream.close();
    }
  });

  test('a projection the database refused reaches it later, sent again by the workflow itself', async () => {
    const { uuid } = await submit(lm.api);
    lm.made.push(uuid);
    // The instances' table goes away: the stop's projections, and the API's own write, are refused.
    await renameInstancesTable(own, 'lm_instances', 'lm_instances_away');
    try {
      const stopped = await operate(lm.api, uuid, 'stop');
      expect(stopped.data.service_instance.status).toBe('stopped');
    } finally {
      await renameInstancesTable(own, 'lm_instances_away', 'lm_instances');
    }
    expect((await lm.readModel.instance(uuid))?.instance.status).not.toBe('stopped');
    // Nothing else happens to the instance: the workflow's own retry (10 s later) brings the read model up to date.
    await eventually(
      'the stop in the read model',
      async () => ((await lm.readModel.instance(uuid))?.instance.status === 'stopped' ? true : undefined),
      30_000,
      250,
    );
    expect((await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline.at(-1)).toMatchObject({
      step: 'stop',
      outcome: 'ok',
    });
  });

  test('listings filter by exec type and page by keyset; the count is made with the first page and carried on', async () => {
    const tag = `${kind}-${Date.now()}`;
    const made = [];
    for (let i = 0; i < 3; i += 1) made.push(await submit(lm.api, { name: `paged-${tag}` }));
    lm.made.push(...made.map((m) => m.uuid));
    const first = (await lm.api.get(`/api/v2/lm/service-instances/all?service=paged-${tag}&exec_type=docker&page_size=2`)).data;
    expect(first.service_instances).toHaveLength(2);
    expect(first.count).toBe(3);
    // Newest first.
    expect(first.service_instances.map((i: ServiceInstance) => i.id)).toEqual([made[2].instance.id, made[1].instance.id]);
    await lm.api.delete(`/api/v2/lm/service-instances/${made[0].uuid}?wait=true`);
    const second = await lm.api.get(
      `/api/v2/lm/service-instances/all?service=paged-${tag}&exec_type=docker&page_size=2&status=started,terminated&page_token=${first.next_page_token}`,
    );
    expect(second.status).toBe(400);
    expect(second.data.message).toMatch(/page_token belongs to a listing with another filter/);
    const rest = (
      await lm.api.get(
        `/api/v2/lm/service-instances/all?service=paged-${tag}&exec_type=docker&page_size=2&page_token=${first.next_page_token}`,
      )
    ).data;
    // The terminated one has left the default listing; the count is the first page's.
    expect(rest.service_instances).toEqual([]);
    expect(rest.count).toBe(3);
    expect(rest.next_page_token).toBeNull();
    expect((await lm.api.get(`/api/v2/lm/service-instances/all?service=paged-${tag}&exec_type=compss`)).data.count).toBe(0);
    const wrong = await lm.api.get('/api/v2/lm/service-instances/all?exec_type=podman');
    expect(wrong.status).toBe(400);
    expect(wrong.data.message).toMatch(/exec_type must be one of docker/);
  });
});
