/**
 * User Management's apps_running is moved exactly once per transition even when the worker dies between UM
 * applying the +1 and the workflow recording it: the worker process is SIGKILLed the moment UM receives the
 * PUT, a new worker takes over, and UM must have received that PUT once (Temporal's own retry would send it
 * again: the call is a single-attempt activity whose lost outcome counts as applied).
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';
import { removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { getInstance, operate } from '../support/api-calls';
import { uuidOf, type TimelineEntry } from '../../workflows/model/instance';

let peers: Mf2cPeers;
let lm: LmHarness;
let worker: LmProcess | null = null;
const made: string[] = [];

beforeAll(async () => {
  peers = await startMf2cPeers();
  lm = await startLm(peers.lmEnv, { workers: false });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await removeContainersOf(made);
  await lm?.stop();
  await peers?.closeAll();
});

const workerEnv = () => ({ ...peers.lmEnv, TEMPORAL_ADDRESS: lm.config.temporal.address });
const umPuts = () => peers.callsOf('user-management').filter((c) => c.method === 'PUT');

test('a worker killed between the UM increment and its record: apps_running is counted once', async () => {
  worker = startWorkerProcess(workerEnv());
  let killed: Promise<void> | null = null;
  // Synchronous with the PUT's arrival: UM applies it right after, while the worker is already dead.
  const stopListening = peers.um.recorder.onCall((call) => {
    if (killed === null && call.peer === 'user-management' && call.method === 'PUT') killed = worker!.kill('SIGKILL');
  });
  try {
    const response = await lm.api.post('/api/v2/lm/service', { service_id: peers.cimi.seeded!.service });
    expect(response.status).toBe(200);
    const uuid = uuidOf(response.data.service_instance.id);
    made.push(uuid);
    await eventually('the UM PUT (and the kill)', async () => (killed !== null ? true : undefined), 60_000);
    // Assigned in the callback above, which TypeScript's narrowing does not see.
    await (killed as Promise<void> | null);
    expect(peers.um.appsRunning()).toBe(1);

    worker = startWorkerProcess(workerEnv());
    const instance = await eventually(
      'started after the new worker took over',
      async () => {
        const current = await getInstance(lm.api, uuid);
        return current.status === 'started' ? current : undefined;
      },
      120_000,
      500,
    );
    expect(instance.agents[0].status).toBe('started');
    expect(umPuts().map((c) => c.body)).toEqual([{ apps_running: 1 }]);
    expect(peers.um.appsRunning()).toBe(1);
    const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as TimelineEntry[];
    expect(timeline.some((e) => e.step === 'user-management' && /counted as sent, not resent/.test(e.message ?? ''))).toBe(true);

    // The next transition is counted normally, once.
    expect((await operate(lm.api, uuid, 'stop')).data.service_instance.status).toBe('stopped');
    expect(umPuts().map((c) => c.body)).toEqual([{ apps_running: 1 }, { apps_running: -1 }]);
    expect(peers.um.appsRunning()).toBe(0);
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    expect(umPuts()).toHaveLength(2);
  } finally {
    stopListening();
  }
}, 240_000);
