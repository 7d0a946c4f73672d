/**
 * The worker process serves Prometheus metrics at LM_METRICS_ADDRESS: the SDK's worker metrics and the LM's
 * own counters of settled instances, of drift and of reaped workloads, which follow a real lifecycle (real Temporal,
 * real Docker).
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';
import { operate, submit } from '../support/api-calls';
import { containersOf, docker } from '../support/docker-state';
import { instanceIdOf } from '../../workflows/model/instance';

let lm: LmHarness;
let worker: LmProcess | null = null;
let metricsUrl: string;

beforeAll(async () => {
  lm = await startLm({}, { workers: false });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = startWorkerProcess({
    TEMPORAL_ADDRESS: lm.config.temporal.address,
    HOST_IP: lm.config.hostIp,
    LM_METRICS_ADDRESS: `127.0.0.1:${port}`,
    LM_WATCH_DOCKER_EVENTS: 'true',
    LM_SWEEP_INTERVAL_S: '1',
    LM_REAP_GRACE_S: '0',
  });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await lm?.stop();
});

/** The value of one sample, matched by name and labels (in any order). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? 0 : Number(line.trim().split(/\s+/).pop());
}

async function metrics(): Promise<string> {
  return (await fetch(metricsUrl)).text();
}

test('an instance deployed, crashed and stopped is counted by step and status; the SDK metrics are there too', async () => {
  const { uuid, instance } = await submit(lm.api, { name: 'metrics' });
  lm.made.push(uuid);
  await docker.getContainer(instance.agents[0].container_id).stop({ t: 0 });
  await eventually(
    'the drift counted',
    async () => (sample(await metrics(), 'lm_agent_drift', { status: 'error', exec_type: 'docker' }) >= 1 ? true : undefined),
    30_000,
    500,
  );
  expect((await operate(lm.api, uuid, 'stop')).data.service_instance.status).toBe('stopped');
  const text = await eventually(
    'the stop counted',
    async () => {
      const body = await metrics();
      return sample(body, 'lm_instance_settled', { step: 'stop', status: 'stopped', exec_type: 'docker' }) >= 1 ? body : undefined;
    },
    30_000,
    500,
  );
  expect(sample(text, 'lm_instance_settled', { step: 'deploy', status: 'started', exec_type: 'docker' })).toBeGreaterThanOrEqual(1);
  expect(sample(text, 'lm_instance_settled', { step: 'observe', status: 'error', exec_type: 'docker' })).toBeGreaterThanOrEqual(1);
  expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
  expect(text).toMatch(/^temporal_activity_execution_latency/m);
});

test('a workload whose instance was terminated outside the LM is reaped and counted by runtime', async () => {
  const { uuid } = await submit(lm.api, { name: 'reaped' });
  lm.made.push(uuid);
  await lm.client.workflow.getHandle(instanceIdOf(uuid)).terminate('terminated outside the LM');
  await eventually('the container reaped', async () => ((await containersOf(uuid)).length === 0 ? true : undefined), 30_000, 500);
  await eventually(
    'the removal counted',
    async () => (sample(await metrics(), 'lm_reaped_total', { runtime: 'docker' }) >= 1 ? true : undefined),
    30_000,
    500,
  );
});
