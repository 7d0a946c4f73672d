/**
 * mF2C mode end to end (real Temporal, real Docker, fake peers): a service submitted by id goes through the
 * Recommender, User Management, the Service Manager and the capability check; the instance is mirrored to
 * CIMI under CIMI's id; the SLA agreement and UM's apps_running follow stop / start / restart / terminate.
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, inspectContainer, removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { getInstance, operate } from '../support/api-calls';
import { COMPSS_IMAGE, ensureCompssImage } from '../support/test-images';
import { uuidOf, type ServiceInstance } from '../../workflows/model/instance';
import { CIMI_AGENT_KEYS } from '../fakes/cimi-schema';

let peers: Mf2cPeers;
let lm: LmHarness;
const made: string[] = [];

beforeAll(async () => {
  ensureCompssImage();
  peers = await startMf2cPeers();
  lm = await startLm(peers.lmEnv);
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await peers?.closeAll();
});

const SCHEMA_KEYS = [
  'acl',
  'agents',
  'agreement',
  'created',
  'device_id',
  'device_ip',
  'id',
  'operations',
  'parent_device_id',
  'parent_device_ip',
  'resourceURI',
  'service',
  'service_type',
  'status',
  'updated',
  'user',
];

async function settled(uuid: string, status: string): Promise<ServiceInstance> {
  return eventually(`instance ${uuid} ${status}`, async () => {
    const instance = await getInstance(lm.api, uuid);
    return instance.status === status ? instance : undefined;
  });
}

test('submit by service_id: Recommender, filters, CIMI id and mirror, SLA and UM, then stop/start/restart/terminate', async () => {
  const seeded = peers.cimi.seeded!;
  peers.recorder.clear();
  const response = await lm.api.post('/api/v2/lm/service', { service_id: seeded.service, sla_template: 'sla-template/t1' });
  expect(response.status).toBe(200);
  const id: string = response.data.service_instance.id;
  const uuid = uuidOf(id);
  made.push(uuid);
  // The instance id is CIMI's.
  expect(peers.cimi.get(id)).toBeDefined();
  expect(response.data.message).toBe(`Service deployment operation is being processed [${id}]...`);
  expect(['deploying', 'started']).toContain(response.data.service_instance.status);

  const instance = await settled(uuid, 'started');
  const [agent] = instance.agents;
  expect(instance.agents).toHaveLength(1);
  expect(agent).toMatchObject({ url: '127.0.0.1', status: 'started', device_id: seeded.device });
  expect(instance.user).toBe(seeded.user);
  const [container] = await containersOf(uuid);
  expect(container.Id).toBe(agent.container_id);
  expect((await inspectContainer(container.Id)).State.Running).toBe(true);
  await eventually('UM +1', async () => (peers.um.appsRunning() === 1 ? true : undefined));

  // Each peer got exactly these calls, in this order, with these bodies.
  const all = peers.recorder.calls();
  expect(peers.trail('recommender')).toEqual(['recommender POST /mf2c/optimal']);
  expect(peers.callsOf('recommender')[0].body).toEqual({ sort_order: [], name: 'busybox', service_id: seeded.service });
  expect(peers.callsOf('recommender')[0].headers.accept).toBe('text/json');
  expect(peers.trail('user-management')).toEqual([
    'user-management GET /api/v2/um/current/user',
    'user-management GET /api/v2/um/check',
    'user-management PUT /api/v2/um/sharing-model',
  ]);
  expect(peers.callsOf('user-management')[2].body).toEqual({ apps_running: 1 });
  expect(peers.trail('service-manager')).toEqual([`service-manager GET /api/service-instance/${uuid}`]);
  expect(peers.trail('sla-manager')).toHaveLength(2);
  const [create, start] = peers.callsOf('sla-manager');
  expect(create).toMatchObject({
    method: 'POST',
    path: '/mf2c/create-agreement',
    body: { template_id: 'sla-template/t1', parameters: { user: seeded.user } },
  });
  const agreement = instance.agreement;
  expect(agreement).toMatch(/^agreement\//);
  expect(start).toMatchObject({ method: 'PUT', path: `/agreements/${agreement.replace('agreement/', '')}/start` });
  expect(peers.sla.stateOf(agreement)).toBe('started');

  const cimiTrail = peers.trail('cimi');
  expect(cimiTrail.slice(0, 3).sort()).toEqual(
    [`cimi GET /api/agent`, `cimi GET /api/${seeded.service}`, 'cimi POST /api/service-instance'].sort(),
  );
  expect(cimiTrail.slice(3).every((line) => line === `cimi PUT /api/${id}`)).toBe(true);
  for (const call of peers.callsOf('cimi')) expect(call.headers['slipstream-authn-info']).toBe('super ADMIN');
  const created = peers.callsOf('cimi').find((c) => c.method === 'POST')!.body as Record<string, unknown>;
  expect(created).toMatchObject({ status: 'created-not-initialized', user: seeded.user, service: seeded.service, agents: [] });

  // Order across peers: UM check → CIMI has the candidate (with UM's device id) → SM; SLA before UM +1.
  const at = (predicate: (line: string) => boolean) => all.findIndex((c) => predicate(`${c.peer} ${c.method} ${c.path}`));
  const umCheck = at((l) => l.endsWith('/um/check'));
  const smCheck = at((l) => l.startsWith('service-manager'));
  const candidatesPut = all.findIndex((c) => c.peer === 'cimi' && c.method === 'PUT');
  expect(umCheck).toBeLessThan(candidatesPut);
  expect(candidatesPut).toBeLessThan(smCheck);
  expect((all[candidatesPut].body as { agents: Array<{ device_id: string }> }).agents[0].device_id).toBe(seeded.device);
  expect(at((l) => l.startsWith('sla-manager PUT'))).toBeLessThan(at((l) => l.includes('sharing-model')));

  // CIMI has the instance as it is, with only its schema's keys.
  const mirrored = await eventually('CIMI started', async () => {
    const doc = peers.cimi.get(id);
    return doc?.status === 'started' ? doc : undefined;
  });
  expect(Object.keys(mirrored).sort()).toEqual(SCHEMA_KEYS.filter((k) => k !== 'operations'));
  expect(mirrored.agreement).toBe(agreement);
  const mirroredAgents = mirrored.agents as Array<Record<string, unknown>>;
  expect(Object.keys(mirroredAgents[0]).sort()).toEqual(CIMI_AGENT_KEYS);
  expect(mirroredAgents[0]).toMatchObject({ status: 'started', container_id: agent.container_id });

  // The timeline explains the choice.
  const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{
    step: string;
    message: string;
  }>;
  const selection = timeline.filter((e) => e.step === 'select').map((e) => e.message);
  expect(selection.join('\n')).toMatch(/candidates from the Recommender \(category 0\): 127\.0\.0\.1/);
  expect(selection.join('\n')).toMatch(/User Management allows 127\.0\.0\.1/);
  expect(selection.join('\n')).toMatch(/Service Manager QoS: 127\.0\.0\.1 allowed/);
  expect(selection.join('\n')).toMatch(/127\.0\.0\.1 can run docker/);
  expect(selection.join('\n')).toMatch(/selected 127\.0\.0\.1/);

  // stop: SLA stop, UM -1.
  peers.recorder.clear();
  expect((await operate(lm.api, uuid, 'stop')).data.service_instance.status).toBe('stopped');
  expect(peers.trail().filter((l) => !l.startsWith('cimi'))).toEqual([
    `sla-manager PUT /agreements/${agreement.replace('agreement/', '')}/stop`,
    'user-management PUT /api/v2/um/sharing-model',
  ]);
  expect(peers.callsOf('user-management')[0].body).toEqual({ apps_running: -1 });
  expect(peers.um.appsRunning()).toBe(0);
  expect(peers.sla.stateOf(agreement)).toBe('stopped');

  // start: SLA start, UM +1.
  peers.recorder.clear();
  expect((await operate(lm.api, uuid, 'start')).data.service_instance.status).toBe('started');
  expect(peers.trail().filter((l) => !l.startsWith('cimi'))).toEqual([
    `sla-manager PUT /agreements/${agreement.replace('agreement/', '')}/start`,
    'user-management PUT /api/v2/um/sharing-model',
  ]);
  expect(peers.um.appsRunning()).toBe(1);

  // restart really stops then starts: both pairs, once each.
  peers.recorder.clear();
  expect((await operate(lm.api, uuid, 'restart')).data.service_instance.status).toBe('started');
  expect(peers.callsOf('user-management').map((c) => c.body)).toEqual([{ apps_running: -1 }, { apps_running: 1 }]);
  expect(peers.callsOf('sla-manager').map((c) => c.path.split('/').pop())).toEqual(['stop', 'start']);
  expect(peers.um.appsRunning()).toBe(1);

  // terminate: SLA terminate, container removed, UM -1, CIMI resource deleted.
  peers.recorder.clear();
  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(await containersOf(uuid)).toHaveLength(0);
  expect(peers.trail().filter((l) => !l.startsWith('cimi PUT'))).toEqual([
    `sla-manager PUT /agreements/${agreement.replace('agreement/', '')}/terminate`,
    'user-management PUT /api/v2/um/sharing-model',
    `cimi DELETE /api/${id}`,
  ]);
  expect(peers.um.appsRunning()).toBe(0);
  expect(peers.sla.stateOf(agreement)).toBe('terminated');
  expect(peers.cimi.get(id)).toBeUndefined();
}, 180_000);

test('agents_list in mF2C mode still goes through the filters; the report of a COMPSs job is read from CIMI', async () => {
  peers.recorder.clear();
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { id: 'service/compss-1', name: 'compss-test', exec: COMPSS_IMAGE, exec_type: 'compss', category: 15 },
    agents_list: [{ agent_ip: '127.0.0.1' }],
    user_id: 'alice',
  });
  expect(response.status).toBe(200);
  const instance = response.data.service_instance as ServiceInstance;
  const uuid = uuidOf(instance.id);
  made.push(uuid);
  expect(instance).toMatchObject({ status: 'started', user: 'alice' });
  // No Recommender with agents_list (and no current-user lookup with user_id); UM and QoS filters as the original.
  expect(peers.trail('recommender')).toEqual([]);
  expect(peers.trail('user-management')).toEqual(['user-management GET /api/v2/um/check', 'user-management PUT /api/v2/um/sharing-model']);
  expect(peers.trail('service-manager')).toHaveLength(1);
  // No sla_template: no agreement, and the timeline says so.
  expect(peers.trail('sla-manager')).toEqual([]);
  expect(instance.agreement).toBe('not-defined');

  const empty = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/report`);
  expect(empty.data).toMatchObject({ error: false, report: {} });

  const job = await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, {
    operation: 'start-job',
    ceiClass: 'a.B',
    className: 'a.C',
    hasResult: false,
    methodName: 'main',
    parameters: '<params paramId="0"></params>',
  });
  expect(job.status).toBe(200);
  const appId: string = job.data.compss_app_id;
  const reportId = peers.cimi.seed('service-operation-report', {
    requesting_application_id: { href: instance.id },
    compute_node_id: '127.0.0.1',
    operation_name: 'a.C.main',
    operation_id: appId,
    execution_length: 0.0,
    result: '',
  });
  peers.recorder.clear();
  const report = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/report`);
  expect(report.status).toBe(200);
  expect(report.data).toMatchObject({
    error: false,
    message: 'Service Operation Report content',
    service_instance_id: uuid,
    report: { id: reportId, operation_id: appId },
  });
  // (The start-job's app id reaches CIMI too: its PUT may land meanwhile.)
  const query = peers.callsOf('cimi').find((c) => c.method === 'GET');
  expect(query).toMatchObject({ method: 'GET', path: '/api/service-operation-report', query: { $filter: `operation_id='${appId}'` } });

  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
}, 180_000);
