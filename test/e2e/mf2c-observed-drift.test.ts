/**
 * mF2C mode (real Temporal, real Docker, fake peers): when the only container of an instance stops behind
 * the LM's back, the peers follow the runtime as they follow operations — SLA agreement stopped, UM
 * apps_running −1, CIMI `error` — and all three come back once the container runs again; here the agent's
 * periodic sweep finds the change (no Docker events). An agent driven through another LM over HTTP is observed
 * through that LM, on the instance's observation timer, the same way.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { docker, removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { getInstance } from '../support/api-calls';
import { uuidOf, type ServiceInstance } from '../../workflows/model/instance';

const REMOTE = '127.0.0.2';
let peers: Mf2cPeers;
let lm: LmHarness;
const made: string[] = [];

beforeAll(async () => {
  peers = await startMf2cPeers({ peerLmIps: [REMOTE], peerLmsReportStatus: true });
  lm = await startLm({ ...peers.lmEnv, LM_OBSERVE_INTERVAL_S: '1', LM_SWEEP_INTERVAL_S: '1' });
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await peers?.closeAll();
});

async function settled(uuid: string, status: string): Promise<ServiceInstance> {
  return eventually(
    `instance ${uuid} ${status}`,
    async () => {
      const instance = await getInstance(lm.api, uuid);
      return instance.status === status ? instance : undefined;
    },
    30_000,
  );
}

test('a crashed container stops the SLA agreement, takes UM apps_running back and shows in CIMI; its return undoes all three', async () => {
  const response = await lm.api.post('/api/v2/lm/service', { service_id: peers.cimi.seeded!.service, sla_template: 'sla-template/t1' });
  const id: string = response.data.service_instance.id;
  const uuid = uuidOf(id);
  made.push(uuid);
  const instance = await settled(uuid, 'started');
  const agreement = instance.agreement;
  await eventually('UM +1', async () => (peers.um.appsRunning() === 1 ? true : undefined));

  peers.recorder.clear();
  await docker.getContainer(instance.agents[0].container_id).stop({ t: 0 });
  const broken = await settled(uuid, 'error');
  expect(broken.agents[0].error).toMatch(/not running on the runtime although the LM started it/);
  await eventually('CIMI error', async () => (peers.cimi.get(id)?.status === 'error' ? true : undefined));
  expect(peers.trail().filter((l) => !l.startsWith('cimi'))).toEqual([
    `sla-manager PUT /agreements/${agreement.replace('agreement/', '')}/stop`,
    'user-management PUT /api/v2/um/sharing-model',
  ]);
  expect(peers.um.appsRunning()).toBe(0);
  expect(peers.sla.stateOf(agreement)).toBe('stopped');

  peers.recorder.clear();
  await docker.getContainer(instance.agents[0].container_id).start();
  await settled(uuid, 'started');
  await eventually('CIMI started', async () => (peers.cimi.get(id)?.status === 'started' ? true : undefined));
  expect(peers.trail().filter((l) => !l.startsWith('cimi'))).toEqual([
    `sla-manager PUT /agreements/${agreement.replace('agreement/', '')}/start`,
    'user-management PUT /api/v2/um/sharing-model',
  ]);
  expect(peers.um.appsRunning()).toBe(1);
  expect(peers.sla.stateOf(agreement)).toBe('started');

  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(peers.um.appsRunning()).toBe(0);
});

test('an agent driven through another LM over HTTP is observed through that LM: its crash and its return show', async () => {
  const response = await lm.api.post('/api/v2/lm/service', { service_id: peers.cimi.seeded!.service, agents_list: [{ agent_ip: REMOTE }] });
  const uuid = uuidOf(response.data.service_instance.id as string);
  const instance = await settled(uuid, 'started');
  expect(instance.agents.map((a) => a.url)).toEqual([REMOTE]);
  const remote = peers.peerLms.get(REMOTE)!;
  const containerId = instance.agents[0].container_id;
  expect(remote.containers().has(containerId)).toBe(true);

  remote.setWorkloadStatus(containerId, 'stopped');
  const broken = await settled(uuid, 'error');
  expect(broken.agents[0].error).toMatch(/not running on the runtime although the LM started it/);
  remote.setWorkloadStatus(containerId, 'started');
  await settled(uuid, 'started');

  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(remote.containers().size).toBe(0);
});
