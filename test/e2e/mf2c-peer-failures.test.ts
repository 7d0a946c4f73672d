/**
 * mF2C mode when peers misbehave or resources are short (real Temporal, real Docker, fake peers): the SLA
 * Manager answering 500 then succeeding, or 400; a Recommender that is down; User Management refusing an
 * agent; too few agents (forward to the leader, or fail); an agent reached through an original LM's API;
 * the SLA Manager hanging past the LM's HTTP timeout (LM_HTTP_TIMEOUT_MS is short here so a hang is cut fast).
 */
import { startLm, type LmHarness } from '../support/lm-harness';
import { removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { getInstance, operate } from '../support/api-calls';
import { openEventStream } from '../support/event-stream';
import { uuidOf, type ServiceInstance, type TimelineEntry } from '../../workflows/model/instance';

let peers: Mf2cPeers;
let lm: LmHarness;
const made: string[] = [];
const REMOTE = '127.0.0.2';
const LEADER = '127.0.0.9';

beforeAll(async () => {
  peers = await startMf2cPeers({ leaderIp: LEADER, peerLmIps: [REMOTE, LEADER] });
  lm = await startLm({ ...peers.lmEnv, LM_HTTP_TIMEOUT_MS: '1500' });
});

afterEach(async () => {
  await peers.sla.clearFaults();
  peers.um.setCheck('auto');
  peers.recommender.setHosts(['127.0.0.1']);
  await peers.recommender.setMode('ok');
  peers.peerLms.get(REMOTE)?.setUmCheck({ result: true });
  setLeader(LEADER);
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await peers?.closeAll();
});

function setLeader(ip: string | null): void {
  const agentId = peers.cimi.list('agent')[0].id as string;
  const agent = peers.cimi.get(agentId) ?? {};
  if (ip === null) delete agent.leader_ip;
  else agent.leader_ip = ip;
  peers.cimi.remove(agentId);
  peers.cimi.seed('agent', { ...agent, id: agentId });
}

async function submitById(extra: Record<string, unknown> = {}) {
  const response = await lm.api.post('/api/v2/lm/service', {
    service_id: peers.cimi.seeded!.service,
    sla_template: 'sla-template/t1',
    ...extra,
  });
  const id = (response.data.service_instance?.id ?? response.data.service_instance_id) as string | undefined;
  if (id) made.push(uuidOf(id));
  return { response, id, uuid: id ? uuidOf(id) : '' };
}

async function settled(uuid: string): Promise<ServiceInstance> {
  return eventually(`instance ${uuid} settled`, async () => {
    const instance = await getInstance(lm.api, uuid);
    return ['started', 'degraded', 'error', 'stopped'].includes(instance.status) ? instance : undefined;
  });
}

async function timeline(uuid: string): Promise<TimelineEntry[]> {
  return (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as TimelineEntry[];
}

/** Submits while the SLA Manager fails the agreement's creation: the instance must run anyway, without one. */
async function startedWithoutAgreement(): Promise<{ uuid: string; instance: ServiceInstance; before: number }> {
  const before = peers.um.appsRunning();
  peers.recorder.clear();
  const { uuid } = await submitById();
  const instance = await settled(uuid);
  expect(instance.status).toBe('started');
  expect(instance.agreement).toBe('not-defined');
  return { uuid, instance, before };
}

test('the SLA Manager answering 500 three times, then 201: the agreement is made on the 4th attempt', async () => {
  peers.sla.failNext('POST', '/mf2c/create-agreement', { status: 500, times: 3 });
  peers.recorder.clear();
  const { uuid } = await submitById();
  const instance = await settled(uuid);
  expect(instance.status).toBe('started');
  expect(instance.agreement).toMatch(/^agreement\//);
  expect(instance.agreement_error ?? null).toBeNull();
  expect(peers.trail('sla-manager')).toEqual([
    'sla-manager POST /mf2c/create-agreement',
    'sla-manager POST /mf2c/create-agreement',
    'sla-manager POST /mf2c/create-agreement',
    'sla-manager POST /mf2c/create-agreement',
    `sla-manager PUT /agreements/${instance.agreement.replace('agreement/', '')}/start`,
  ]);
  expect(
    peers.sla
      .agreements()
      .filter((a) => a.templateId === 'sla-template/t1' && a.state === 'started')
      .map((a) => a.id),
  ).toContain(instance.agreement);
  expect((await timeline(uuid)).some((e) => e.step === 'sla' && /attempt 4/.test(e.message ?? ''))).toBe(true);
  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
}, 120_000);

test('the SLA Manager answering 400: the instance runs, the timeline and agreement_error say why, UM still counts it', async () => {
  peers.sla.failNext('POST', '/mf2c/create-agreement', {
    status: 400,
    body: { code: '400', message: 'template: agreement:1: map has no entry for key "user"' },
  });
  const { uuid, instance, before } = await startedWithoutAgreement();
  expect(instance.agreement_error).toMatch(/400.*map has no entry for key/);
  expect(peers.trail('sla-manager')).toEqual(['sla-manager POST /mf2c/create-agreement']);
  expect((await timeline(uuid)).some((e) => e.step === 'sla' && e.outcome === 'failed')).toBe(true);
  await eventually('UM +1', async () => (peers.um.appsRunning() === before + 1 ? true : undefined));
  // No agreement: stop and terminate do not call the SLA Manager.
  await operate(lm.api, uuid, 'stop');
  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(peers.trail('sla-manager')).toEqual(['sla-manager POST /mf2c/create-agreement']);
  expect(peers.um.appsRunning()).toBe(before);
}, 120_000);

test('the SLA Manager hanging on an agreement start: cut at the HTTP timeout, resent, and the agreement ends started', async () => {
  peers.sla.hang('PUT', /\/start$/, 4_000, 1);
  peers.recorder.clear();
  const { uuid } = await submitById();
  const instance = await settled(uuid);
  expect(instance.status).toBe('started');
  const agreementPath = `/agreements/${instance.agreement.replace('agreement/', '')}/start`;
  // PUT start is idempotent at the SLA Manager: resent after the cut.
  await eventually('agreement started', async () =>
    peers.sla.stateOf(instance.agreement) === 'started' && peers.trail('sla-manager').length === 3 ? true : undefined,
  );
  expect(peers.trail('sla-manager')).toEqual([
    'sla-manager POST /mf2c/create-agreement',
    `sla-manager PUT ${agreementPath}`,
    `sla-manager PUT ${agreementPath}`,
  ]);
  expect(peers.callsOf('sla-manager')[1].fault).toBe('hang');
  expect((await getInstance(lm.api, uuid)).agreement_error ?? null).toBeNull();
  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
}, 120_000);

test('the SLA Manager hanging on agreement creation: not resent (it may exist), the instance runs and says so', async () => {
  peers.sla.hang('POST', '/mf2c/create-agreement', 4_000, 1);
  const { uuid, instance, before } = await startedWithoutAgreement();
  expect(instance.agreement_error).toMatch(/^no SLA agreement: /);
  expect(
    (await timeline(uuid)).some(
      (e) => e.step === 'sla' && e.outcome === 'failed' && /not retried, it may exist at the SLA Manager/.test(e.message ?? ''),
    ),
  ).toBe(true);
  // A POST is not idempotent: one call only, however long it hung.
  expect(peers.trail('sla-manager')).toEqual(['sla-manager POST /mf2c/create-agreement']);
  await eventually('UM +1', async () => (peers.um.appsRunning() === before + 1 ? true : undefined));
  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(peers.trail('sla-manager')).toEqual(['sla-manager POST /mf2c/create-agreement']);
}, 120_000);

test('a Recommender that is down fails the submit with 503 and a clear message (no fallback to this agent)', async () => {
  await peers.recommender.setMode('down');
  peers.recorder.clear();
  const { response, id, uuid } = await submitById();
  expect(response.status).toBe(503);
  expect(response.data.error).toBe(true);
  expect(response.data.message).toMatch(/the Recommender could not recommend agents .*ECONNREFUSED/);
  expect(id).toMatch(/^service-instance\//);
  // Nothing deployed, nothing counted; CIMI forgets the instance, the LM keeps it readable as `error`.
  expect(peers.trail('user-management').filter((l) => l.includes('sharing-model'))).toEqual([]);
  expect(peers.cimi.get(id!)).toBeUndefined();
  const instance = await getInstance(lm.api, uuid);
  expect(instance).toMatchObject({ status: 'error', agents: [] });
  expect(instance.error).toMatch(/Recommender/);
}, 60_000);

test('User Management refusing the remote agent drops it; the local one is chosen', async () => {
  peers.recommender.setHosts([REMOTE, '127.0.0.1']);
  peers.peerLms.get(REMOTE)!.setUmCheck({ result: false });
  peers.peerLms.get(REMOTE)!.recorder.clear();
  const { uuid } = await submitById();
  const instance = await settled(uuid);
  expect(instance.status).toBe('started');
  expect(instance.agents.map((a) => a.url)).toEqual(['127.0.0.1']);
  expect(
    peers.peerLms
      .get(REMOTE)!
      .calls()
      .map((c) => `${c.method} ${c.path}`),
  ).toEqual(['GET /api/v2/lm/check-agent-um']);
  const messages = (await timeline(uuid)).filter((e) => e.step === 'select').map((e) => `${e.outcome} ${e.message}`);
  expect(messages).toEqual(
    expect.arrayContaining([expect.stringMatching(/^rejected User Management does not allow 127\.0\.0\.2: NOT ALLOWED/)]),
  );
  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
}, 120_000);

test('too few agents: the request goes to the leader with the same instance id, which stays in CIMI', async () => {
  peers.cimi.patch(peers.cimi.seeded!.service, { num_agents: 3 });
  const leader = peers.peerLms.get(LEADER)!;
  leader.recorder.clear();
  try {
    const { response, id, uuid } = await submitById({ user_id: 'bob', expires_in: 600 });
    expect(response.status).toBe(200);
    expect(response.data.message).toMatch(/^Not enough resources found in current cluster => Request forwarded to Leader/);
    expect(response.data.service_instance_id).toBe(id);
    const [forward] = leader.calls();
    expect(forward).toMatchObject({
      method: 'POST',
      path: '/api/v2/lm/service',
      body: { service_id: peers.cimi.seeded!.service, user_id: 'bob', sla_template: 'sla-template/t1', service_instance_id: id },
    });
    // What is left of expires_in goes along: the leader's instance expires when this one would have.
    expect((forward.body as { expires_in: number }).expires_in).toBeGreaterThan(590);
    expect((forward.body as { expires_in: number }).expires_in).toBeLessThanOrEqual(600);
    expect(peers.cimi.get(id!)).toBeDefined();
    const instance = await getInstance(lm.api, uuid);
    expect(instance.status).toBe('forwarded');
    // It has ended here: a stream of its timeline says so and closes; a long poll answers at once.
    const stream = await openEventStream(lm.api, `/api/v2/lm/service-instances/${uuid}/timeline/stream`);
    expect((await stream.waitFor((e) => e.event === 'end', 10_000)).data).toMatchObject({ status: 'forwarded' });
    await stream.closed;
    const page = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline?since=1000&wait=60`, { timeout: 15_000 });
    expect(page.data).toMatchObject({ ended: true, status: 'forwarded', timeline: [] });
    // Operations belong to the leader now.
    const refused = await operate(lm.api, uuid, 'stop');
    expect(refused.status).toBe(409);
    expect(refused.data.message).toMatch(/forwarded to the leader/);

    // This agent as its own leader: impossible, said clearly; CIMI forgets the instance.
    setLeader('127.0.0.1');
    const self = await submitById();
    expect(self.response.status).toBe(503);
    expect(self.response.data.message).toMatch(/my_ip == leader_ip/);
    expect(peers.cimi.get(self.id!)).toBeUndefined();
  } finally {
    peers.cimi.patch(peers.cimi.seeded!.service, { num_agents: 1 });
  }
}, 120_000);

test("as the leader: a forwarded request reuses the child's instance id", async () => {
  const seeded = peers.cimi.seeded!;
  const id = peers.cimi.seed('service-instance', {
    user: 'bob',
    device_id: 'child',
    device_ip: '127.0.0.5',
    parent_device_id: 'not-defined',
    parent_device_ip: 'not-defined',
    service: seeded.service,
    agreement: 'sla-template/t1',
    status: 'created-not-initialized',
    service_type: 'docker',
    agents: [],
    acl: { owner: { principal: 'bob', type: 'USER' }, rules: [] },
  });
  const body = { service_id: seeded.service, user_id: 'bob', sla_template: 'sla-template/t1', service_instance_id: id };
  const response = await lm.api.post('/api/v2/lm/service', body);
  expect(response.status).toBe(200);
  expect(response.data.service_instance.id).toBe(id);
  made.push(uuidOf(id));
  const instance = await settled(uuidOf(id));
  expect(instance.status).toBe('started');
  // CIMI hears of it from the mirror's own PUT, which follows the read model's projection.
  await eventually('CIMI says started', async () => (peers.cimi.get(id)?.status === 'started' ? true : undefined));
  // The same forward again joins the same instance (no second one: bug C10).
  const again = await lm.api.post('/api/v2/lm/service', body);
  expect(again.data.service_instance.id).toBe(id);
  await lm.api.delete(`/api/v2/lm/service-instances/${uuidOf(id)}?wait=true`);
}, 120_000);

test("an agent without an LM on this Temporal cluster is driven through its LM's internal API (Python-literal agents)", async () => {
  peers.recommender.setHosts([REMOTE]);
  const remote = peers.peerLms.get(REMOTE)!;
  remote.recorder.clear();
  const { uuid, id } = await submitById();
  const instance = await settled(uuid);
  expect(instance.status).toBe('started');
  const [agent] = instance.agents;
  expect(agent).toMatchObject({ url: REMOTE, status: 'started' });
  expect(remote.containers().has(agent.container_id)).toBe(true);
  const calls = remote.calls();
  expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
    'GET /api/v2/lm/check-agent-um',
    'POST /api/v2/lm/service-instance-int',
    'PUT /api/v2/lm/service-instance-int',
  ]);
  const deployBody = calls[1].body as { service: { exec: string }; service_instance: { id: string }; agent: Record<string, unknown> };
  expect(deployBody.service.exec).toBe('lm-test/busybox:latest');
  expect(deployBody.service_instance.id).toBe(id);
  expect(deployBody.agent).toMatchObject({ url: REMOTE, status: 'created-not-initialized', container_id: '-' });
  expect(Object.keys(deployBody.agent)).not.toContain('name');
  expect(calls[2].body).toMatchObject({ operation: 'start', agent: { url: REMOTE, container_id: agent.container_id } });
  expect((await timeline(uuid)).some((e) => e.step === 'route' && /service-instance-int/.test(e.message ?? ''))).toBe(true);

  remote.recorder.clear();
  await operate(lm.api, uuid, 'stop');
  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(remote.calls().map((c) => (c.body as { operation: string }).operation)).toEqual(['stop', 'terminate']);
  expect(remote.containers().has(agent.container_id)).toBe(false);
}, 120_000);
