/**
 * `POST /api/v2/lm` notifications in mF2C mode (real Temporal, real Docker, fake peers): qos_enforcement
 * rescales an instance (an agent added through an original LM's API, then removed), identical notifications
 * in flight are merged, um_warning stops the user's agents here, sla_notification is recorded; bad ones are 4xx/501.
 * A COMPSs instance rescaled after a job tells its master (the stand-in container) addResources and removeNode.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, inspectContainer, removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { getInstance } from '../support/api-calls';
import { COMPSS_IMAGE, compssRequests, ensureCompssImage } from '../support/test-images';
import { sendUmWarning } from '../fakes/user-management';
import { uuidOf, type ServiceInstance, type TimelineEntry } from '../../workflows/model/instance';

let peers: Mf2cPeers;
let lm: LmHarness;
let id: string;
let uuid: string;
const REMOTE = '127.0.0.2';
const made: string[] = [];

beforeAll(async () => {
  ensureCompssImage();
  peers = await startMf2cPeers({ peerLmIps: [REMOTE] });
  lm = await startLm(peers.lmEnv);
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service_id: peers.cimi.seeded!.service,
    sla_template: 'sla-template/t1',
  });
  expect(response.data.service_instance.status).toBe('started');
  id = response.data.service_instance.id;
  uuid = uuidOf(id);
});

afterAll(async () => {
  await removeContainersOf([uuid, ...made]);
  await lm?.stop();
  await peers?.closeAll();
});

const notify = (type: string, data: Record<string, unknown>) => lm.api.post('/api/v2/lm', { type, data });
const timeline = async (): Promise<TimelineEntry[]> => (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline;

async function until(what: string, check: (instance: ServiceInstance) => boolean): Promise<ServiceInstance> {
  return eventually(what, async () => {
    const instance = await getInstance(lm.api, uuid);
    return check(instance) ? instance : undefined;
  });
}

test('qos_enforcement adds an agent from the Recommender (identical notification merged), then removes it', async () => {
  const remote = peers.peerLms.get(REMOTE)!;
  peers.recommender.setHosts(['127.0.0.1', REMOTE]);
  // The deploy on the new agent takes a while, so the second notification arrives while the first is handled.
  remote.hang('POST', '/api/v2/lm/service-instance-int', 2_000, 1);
  const first = await notify('qos_enforcement', { service_instance_id: id, num_agents: 2 });
  expect(first.status).toBe(200);
  expect(first.data).toMatchObject({
    error: false,
    message: 'QoS Notification is being processed...',
    notification: `{'service_instance_id': '${id}', 'num_agents': 2}`,
  });
  await eventually('the QoS notification in flight', async () =>
    (await timeline()).some((e) => e.message === 'adding agent 127.0.0.2') ? true : undefined,
  );
  const second = await notify('qos_enforcement', { num_agents: 2, service_instance_id: id });
  expect(second.status).toBe(200);
  expect(second.data.message).toMatch(/^QoS Notification was not processed: an identical notification is being processed/);

  const scaled = await until(
    '2 started agents',
    (i) => i.agents.length === 2 && i.agents.every((a) => a.status === 'started') && i.status === 'started',
  );
  expect(scaled.agents.map((a) => a.url)).toEqual(['127.0.0.1', REMOTE]);
  expect(scaled.agents[1].master_compss).toBe(false);
  expect(
    remote
      .calls()
      .filter((c) => c.path === '/api/v2/lm/service-instance-int')
      .map((c) => c.method),
  ).toEqual(['POST', 'PUT']);
  // Still one running instance for User Management.
  expect(peers.um.appsRunning()).toBe(1);
  await eventually('CIMI has both agents', async () =>
    (peers.cimi.get(id)?.agents as unknown[] | undefined)?.length === 2 ? true : undefined,
  );

  const down = await notify('qos_enforcement', { service_instance_id: id, num_agents: 1 });
  expect(down.status).toBe(200);
  const shrunk = await until('1 agent', (i) => i.agents.length === 1 && i.status === 'started');
  expect(shrunk.agents[0].url).toBe('127.0.0.1');
  expect(
    remote
      .calls()
      .filter((c) => c.method === 'PUT')
      .map((c) => (c.body as { operation: string }).operation),
  ).toEqual(['start', 'stop', 'terminate']);
  const messages = (await timeline()).filter((e) => e.step === 'qos_enforcement').map((e) => e.message ?? '');
  expect(messages).toEqual(
    expect.arrayContaining([
      'adding agent 127.0.0.2',
      'removed agent 127.0.0.2',
      expect.stringMatching(/identical qos_enforcement is being handled: merged/),
    ]),
  );
  expect(peers.um.appsRunning()).toBe(1);
}, 120_000);

test("um_warning stops the user's instance on this agent, and it is recorded; UM and SLA follow", async () => {
  const seeded = peers.cimi.seeded!;
  peers.recorder.clear();
  const answer = await sendUmWarning(lm.baseUrl, {
    user_id: seeded.user,
    device_id: seeded.device,
    user_profile: {},
    sharing_model: {},
    result: { max_apps_violation: true },
  });
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ error: false, message: 'UM Warning is being processed...', service_instances: [id] });
  const stopped = await until('stopped', (i) => i.status === 'stopped');
  const [container] = await containersOf(uuid);
  expect((await inspectContainer(container.Id)).State.Running).toBe(false);
  expect(stopped.agents[0].status).toBe('stopped');
  await eventually('UM -1', async () => (peers.um.appsRunning() === 0 ? true : undefined));
  expect(peers.sla.stateOf(stopped.agreement)).toBe('stopped');
  expect(
    (await timeline()).some(
      (e) => e.step === 'um_warning' && /max_apps_violation on agent 127\.0\.0\.1: stopping 1 agent/.test(e.message ?? ''),
    ),
  ).toBe(true);

  // Another user's warning does not touch it.
  const other = await sendUmWarning(lm.baseUrl, { user_id: 'someone-else', result: { battery_limit_violation: true } });
  expect(other.body).toMatchObject({ service_instances: [] });
}, 60_000);

test('sla_notification is recorded on the named instance without changing it', async () => {
  const response = await notify('sla_notification', { service_instance_id: id, warning_id: 'w1', warning_txt: 'availability below 90%' });
  expect(response.status).toBe(200);
  expect(response.data).toMatchObject({ error: false, message: 'SLA Notification has been processed' });
  await eventually('recorded', async () =>
    (await timeline()).some((e) => e.step === 'sla_notification' && /no lifecycle change/.test(e.message ?? '')) ? true : undefined,
  );
  expect((await getInstance(lm.api, uuid)).status).toBe('stopped');
});

test('bad notifications: 400 for a missing type or data, 501 for an unknown type, 400/404 for bad QoS data', async () => {
  const missingData = await lm.api.post('/api/v2/lm', { type: 'qos_enforcement' });
  expect(missingData.status).toBe(400);
  expect(missingData.data.message).toMatch(/parameter not found: type \/ data/);
  expect((await lm.api.post('/api/v2/lm', { data: {} })).status).toBe(400);
  expect((await lm.api.post('/api/v2/lm', 'not json', { headers: { 'Content-Type': 'application/json' } })).status).toBe(400);
  const unknown = await notify('reboot', {});
  expect(unknown.status).toBe(501);
  expect(unknown.data.message).toMatch(/type not defined \/ implemented/);
  const noCount = await notify('qos_enforcement', { service_instance_id: id });
  expect(noCount.status).toBe(400);
  expect(noCount.data.message).toMatch(/num_agents \/ service_instance_id not found/);
  expect(
    (await notify('qos_enforcement', { service_instance_id: 'service-instance/00000000-0000-4000-8000-000000000000', num_agents: 2 }))
      .status,
  ).toBe(404);
  expect((await notify('um_warning', { result: {} })).status).toBe(400);
});

test('a COMPSs instance rescaled after a job: the master is told addResources, then removeNode, for the added agent', async () => {
  const submitted = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { id: 'service/compss-1', name: 'compss-test', exec: COMPSS_IMAGE, exec_type: 'compss' },
    agents_list: [{ agent_ip: '127.0.0.1' }],
    user_id: 'alice',
  });
  expect(submitted.data.service_instance.status).toBe('started');
  const compssId: string = submitted.data.service_instance.id;
  const compssUuid = uuidOf(compssId);
  made.push(compssUuid);
  const job = await lm.api.put(`/api/v2/lm/service-instances/${compssUuid}/compss`, {
    operation: 'start-job',
    ceiClass: 'a.B',
    className: 'a.C',
    hasResult: false,
    methodName: 'main',
    parameters: '<params paramId="0"></params>',
  });
  expect(job.status).toBe(200);
  const appId: string = job.data.compss_app_id;
  const masterLog = () => compssRequests(submitted.data.service_instance);

  peers.recommender.setHosts(['127.0.0.1', REMOTE]);
  expect((await notify('qos_enforcement', { service_instance_id: compssId, num_agents: 2 })).status).toBe(200);
  await eventually('2 started agents', async () => {
    const instance = await getInstance(lm.api, compssUuid);
    return instance.agents.length === 2 && instance.status === 'started' ? true : undefined;
  });
  // The master is told once the added agent has started: the agent reads `started` a moment before that.
  await eventually('the master told of the added agent', async () => {
    const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${compssUuid}/timeline`)).data.timeline as TimelineEntry[];
    return timeline.some((e) => e.message === `COMPSs master 127.0.0.1: addResources ${REMOTE}`) ? true : undefined;
  });
  const added = await masterLog();
  expect(added).toMatch(
    new RegExp(
      `PUT /COMPSs/addResources\n<\\?xml[^\n]*<newResource><appId>${appId}</appId><externalResource>.*<name>${REMOTE.replace(/\./g, '\\.')}</name>`,
    ),
  );

  expect((await notify('qos_enforcement', { service_instance_id: compssId, num_agents: 1 })).status).toBe(200);
  await eventually('1 agent', async () => ((await getInstance(lm.api, compssUuid)).agents.length === 1 ? true : undefined));
  expect(await masterLog()).toContain(
    `PUT /COMPSs/removeNode\n<?xml version='1.0' encoding='utf-8'?><removeNode><appId>${appId}</appId><workerName>${REMOTE}</workerName></removeNode>`,
  );
  const messages = (await lm.api.get(`/api/v2/lm/service-instances/${compssUuid}/timeline`)).data.timeline.map(
    (e: TimelineEntry) => e.message,
  );
  expect(messages).toEqual(
    expect.arrayContaining([`COMPSs master 127.0.0.1: addResources ${REMOTE}`, `COMPSs master 127.0.0.1: removeNode ${REMOTE}`]),
  );
  await lm.api.delete(`/api/v2/lm/service-instances/${compssUuid}?wait=true`);
}, 120_000);
