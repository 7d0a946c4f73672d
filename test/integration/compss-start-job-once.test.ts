/**
 * COMPSs starts an application on every startApplication it receives, so start-job is sent once: the worker is
 * SIGKILLed after the PUT has reached the COMPSs stand-in (its container is paused, so the PUT waits in its
 * socket unanswered) and a new worker takes over. The job answers that it may have started, and the stand-in
 * records exactly one application — the same when the request is sent again with its Idempotency-Key.
 */
import { temporal } from '@temporalio/proto';
import { startJobBody } from '../support/api-calls';
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';
import { containersOf, docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { ensureCompssImage, compssRequests, COMPSS_IMAGE } from '../support/test-images';
import { instanceIdOf } from '../../workflows/model/instance';

let lm: LmHarness;
let worker: LmProcess | null = null;

const JOB = startJobBody();
/** A worker took the activity and runs it. */
const ACTIVITY_STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

beforeAll(async () => {
  ensureCompssImage();
  lm = await startLm({}, { workers: false });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await lm?.stop();
});

const workerEnv = () => ({ TEMPORAL_ADDRESS: lm.config.temporal.address, HOST_IP: lm.config.hostIp, STANDALONE_MODE: 'True' });

async function applicationsStarted(instance: { agents: { ports: number[] }[] }): Promise<number> {
  const text = await compssRequests(instance);
  return text.split('\n').filter((line) => line.startsWith('PUT /COMPSs/startApplication')).length;
}

test('a worker killed after the start-job PUT: the job is not sent again, one application on the stand-in', async () => {
  worker = startWorkerProcess(workerEnv());
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name: 'compss-once', exec: COMPSS_IMAGE, exec_type: 'compss' },
  });
  expect(response.data.service_instance.status).toBe('started');
  const uuid = (response.data.service_instance.id as string).split('/')[1];
  lm.made.push(uuid);
  const [container] = await containersOf(uuid);
  const compss = docker.getContainer(container.Id);

  await compss.pause();
  const headers = { 'Idempotency-Key': `job-${uuid}` };
  const job = lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, JOB, { headers });
  const handle = lm.client.workflow.getHandle(instanceIdOf(uuid));
  await eventually(
    'the start-job activity running',
    async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => a.activityType?.name === 'startCompssApplication' && a.state === ACTIVITY_STARTED) ? true : undefined;
    },
    30_000,
    100,
  );
  // The PUT is on its way (the paused stand-in reads it once it runs again): the worker dies before any answer.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await worker.kill('SIGKILL');
  worker = startWorkerProcess(workerEnv());
  await compss.unpause();

  const answered = await job;
  expect(answered.status).toBe(502);
  expect(answered.data.message).toMatch(/not sent again: the application may have started/);
  expect(await applicationsStarted(response.data.service_instance)).toBe(1);

  const again = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, JOB, { headers });
  expect(again.status).toBe(502);
  expect(await applicationsStarted(response.data.service_instance)).toBe(1);
  const deleted = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(deleted.data.service_instance.status).toBe('terminated');
}, 240_000);
