/**
 * A container that stops while the LM worker is down left no event anyone saw: the restarted worker's
 * Docker follower reports it at connect, and the instance turns `error` without waiting for a periodic
 * observation (switched off here). Real worker process, real Temporal, real Docker.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';
import { docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { getInstance, submit } from '../support/api-calls';

let lm: LmHarness;
let worker: LmProcess | null = null;

beforeAll(async () => {
  lm = await startLm({ LM_OBSERVE_INTERVAL_S: '0' }, { workers: false });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await lm?.stop();
});

const workerEnv = () => ({ TEMPORAL_ADDRESS: lm.config.temporal.address, HOST_IP: lm.config.hostIp, LM_WATCH_DOCKER_EVENTS: 'true' });

test('a container stopped while the worker was down is noticed when it comes back', async () => {
  worker = startWorkerProcess(workerEnv());
  const { uuid, instance } = await submit(lm.api, { name: 'unseen-crash' });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');

  await worker.kill('SIGTERM');
  await docker.getContainer(instance.agents[0].container_id).stop({ t: 0 });
  // Nobody watches: the instance still says what it last knew.
  expect((await getInstance(lm.api, uuid)).status).toBe('started');

  worker = startWorkerProcess(workerEnv());
  const seen = await eventually(
    'error after the worker is back',
    async () => {
      const current = await getInstance(lm.api, uuid);
      return current.status === 'error' ? current : undefined;
    },
    60_000,
    250,
  );
  expect(seen.agents[0].error).toMatch(/not running on the runtime although the LM started it/);
});
