/**
 * SIGKILL the worker process while 10 instances are deploying, then start a new one: every instance ends
 * `started` with exactly one container (nothing lost, nothing made twice).
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';
import { containersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { getInstance, submit } from '../support/api-calls';

let lm: LmHarness;
let worker: LmProcess | null = null;

beforeAll(async () => {
  lm = await startLm({}, { workers: false });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await lm?.stop();
});

const workerEnv = () => ({ TEMPORAL_ADDRESS: lm.config.temporal.address, HOST_IP: lm.config.hostIp, STANDALONE_MODE: 'True' });

test('a worker killed mid-deploy: all 10 instances reach started, each with exactly one container', async () => {
  worker = startWorkerProcess(workerEnv());
  const submitted = await Promise.all(
    Array.from({ length: 10 }, (_, i) => submit(lm.api, { name: `crash-${i}`, ports: [80], wait: false })),
  );
  lm.made.push(...submitted.map((s) => s.uuid));

  // Kill as soon as the first container exists: the others are mid-flight.
  await eventually(
    'a first container',
    async () => {
      const counts = await Promise.all(lm.made.map(async (uuid) => (await containersOf(uuid)).length));
      return counts.some((n) => n > 0) ? true : undefined;
    },
    60_000,
    50,
  );
  const startedBeforeKill = (await Promise.all(lm.made.map((uuid) => getInstance(lm.api, uuid)))).filter(
    (i) => i.status === 'started',
  ).length;
  await worker.kill('SIGKILL');
  expect(startedBeforeKill).toBeLessThan(10);

  worker = startWorkerProcess(workerEnv());
  let last: string[] = [];
  const statuses = await eventually(
    'all instances started',
    async () => {
      const instances = await Promise.all(lm.made.map((uuid) => getInstance(lm.api, uuid)));
      last = instances.map((i) => `${i.status}${i.error ? ` (${i.error})` : ''}`);
      return instances.every((i) => i.status === 'started') ? instances : undefined;
    },
    180_000,
    500,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nstatuses: ${last.join(', ')}\nworker output:\n${worker?.output().slice(-3000)}`);
  });
  expect(statuses).toHaveLength(10);

  for (const uuid of lm.made) {
    const containers = await containersOf(uuid);
    expect(containers).toHaveLength(1);
    expect(containers[0].State).toBe('running');
    const instance = statuses.find((i) => i.id.endsWith(uuid));
    expect(instance?.agents[0].container_id).toBe(containers[0].Id);
  }
  // No two instances share a host port.
  const ports = statuses.map((i) => i.agents[0].ports[0]);
  expect(new Set(ports).size).toBe(10);
}, 300_000);
