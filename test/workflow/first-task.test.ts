/**
 * A fresh submission's first workflow task is lean: it schedules the deploy without waiting for the read model (the
 * API wrote the submitted instance already), and nothing of that task is lost: its timeline entries reach the read
 * model with the next projection; its run records one patch marker for all the patches it meets. On a real dev
 * server, with activities of the test's own (a latch holds the database).
 */
import { eventually } from '../support/eventually';
import { latch } from '../support/latch';
import { uuidOf } from '../../workflows/model/instance';
import { BASELINE_2026_12 } from '../../workflows/patches';
import { startLatchedInstance, startLatchedStack, type LatchedWorkers, type LatchedActivities } from '../support/latched-activities';

let latched: LatchedWorkers;
let fakes: LatchedActivities;

beforeAll(async () => {
  latched = await startLatchedStack();
  fakes = latched.fakes;
});

afterAll(async () => {
  await latched?.stop();
});

test('the first task schedules the deploy with no projection in it, and the next projection carries its entries', async () => {
  const database = latch();
  fakes.holdProjection = database;
  const handle = await startLatchedInstance(latched.client);
  try {
    await eventually('the deploy to run', async () => (fakes.calls.some((c) => c.startsWith('deploy')) ? true : undefined), 30_000, 20);
    // The deploy ran while the database held every projection: none was waited for on the way to it.
    expect(fakes.projected).toHaveLength(0);
  } finally {
    database.open();
  }

  const { events } = await handle.fetchHistory();
  const firstTaskEnd = events!.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  const nextTask = events!.findIndex((e, i) => i > firstTaskEnd && e.workflowTaskScheduledEventAttributes);
  const ofFirstTask = events!.slice(firstTaskEnd + 1, nextTask);
  expect(ofFirstTask.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deployAndStartWorkload')).toBe(true);
  expect(ofFirstTask.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(0);

  const first = await eventually('a projection', async () => fakes.projected[0], 30_000, 20);
  expect(first.firstEntry).toBe(0);
  expect(first.entries.some((e) => e.step === 'deploy')).toBe(true);
  const started = await eventually(
    'the started state projected',
    async () => fakes.projected.find((p) => p.instance.status === 'started'),
    30_000,
    20,
  );
  expect(started.revision).toBeGreaterThan(1);
});

test('a fresh run records one patch marker, and one TemporalChangeVersion upsert, for the whole baseline', async () => {
  const handle = await startLatchedInstance(latched.client);
  await eventually(
    'the started state projected',
    async () => fakes.projected.find((p) => p.uuid === uuidOf(handle.workflowId) && p.instance.status === 'started'),
    30_000,
    20,
  );
  const { events } = await handle.fetchHistory();
  const markers = events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
  expect(markers).toHaveLength(1);
  const payload = markers[0].markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
  expect(Buffer.from(payload ?? []).toString()).toContain(BASELINE_2026_12);
  const versionUpserts = events!.filter(
    (e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion,
  );
  expect(versionUpserts).toHaveLength(1);
});
