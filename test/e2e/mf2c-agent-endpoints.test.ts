/**
 * This agent's endpoints with the original's bodies (spec/original-lm.md §7.2): agent-config, agent-um,
 * check-agent-um, check-agent-swarm, isumalive; and the internal LM-to-LM API `service-instance-int` as an
 * original LM calls it (Python-literal agent), guarded by LM_INTERNAL_TOKEN, acting on the real Docker engine.
 */
import { randomUUID } from 'node:crypto';
import { startLm, type LmHarness } from '../support/lm-harness';
import { containersOf, inspectContainer, removeContainersOf } from '../support/docker-state';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { parsePythonLiteral, toPythonLiteral } from '../../common/python-literal';

let peers: Mf2cPeers;
let lm: LmHarness;
const TOKEN = 'internal-secret';
const internal = { headers: { Authorization: `Bearer ${TOKEN}` } };
const made: string[] = [];

beforeAll(async () => {
  peers = await startMf2cPeers();
  lm = await startLm({ ...peers.lmEnv, LM_INTERNAL_TOKEN: TOKEN });
});

afterAll(async () => {
  await removeContainersOf(made);
  await lm?.stop();
  await peers?.closeAll();
});

test('agent-config reports the mode, version and peer URLs in the original shape', async () => {
  const { status, data } = await lm.api.get('/api/v2/lm/agent-config');
  expect(status).toBe(200);
  expect(data).toMatchObject({
    app: 'Lifecycle Management REST API',
    mode: 'MF2C',
    host: '127.0.0.1',
    'device-identifier': peers.cimi.seeded!.deviceIdHash,
    'device-ip-address': '127.0.0.1',
    properties: {
      'cimi-url': peers.lmEnv.CIMI_URL,
      mf2c: {
        'USER MANAGEMENT MODULE': peers.lmEnv.URL_AC_USER_MANAGEMENT,
        RECOMENDER_LANDSCAPER: peers.lmEnv.URL_PM_RECOM_LANDSCAPER,
        'SERVICE MANAGER': peers.lmEnv.URL_AC_SERVICE_MNGMT,
        'SLA MANAGER': peers.lmEnv.URL_PM_SLA_MANAGER,
      },
    },
  });
});

test("agent-um reads the user's profile and sharing model from CIMI (agent → device → filters)", async () => {
  peers.recorder.clear();
  const { status, data } = await lm.api.get('/api/v2/lm/agent-um');
  expect(status).toBe(200);
  expect(data['user-profile']).toMatchObject({ id: peers.cimi.seeded!.userProfile, resource_contributor: true });
  expect(data['sharing-model']).toMatchObject({ id: peers.cimi.seeded!.sharingModel, max_apps: 100 });
  const filters = peers.callsOf('cimi').map((c) => `${c.path} ${String(c.query.$filter ?? '')}`.trim());
  expect(filters.slice(0, 2)).toEqual(['/api/agent', `/api/device deviceID="${peers.cimi.seeded!.deviceIdHash}"`]);
  expect(filters.slice(2).sort()).toEqual([
    `/api/sharing-model device_id="${peers.cimi.seeded!.device}"`,
    `/api/user-profile device_id="${peers.cimi.seeded!.device}"`,
  ]);
});

test('check-agent-um passes UM /check on; isumalive says ok; both answer 503 when UM is down', async () => {
  const check = await lm.api.get('/api/v2/lm/check-agent-um', internal);
  expect(check.status).toBe(200);
  expect(check.data).toMatchObject({
    result: true,
    message: 'ALLOWED: resource_contributor is set to TRUE; ',
    sharing_model: { device_id: peers.cimi.seeded!.device },
  });
  peers.um.setCheck(false);
  expect((await lm.api.get('/api/v2/lm/check-agent-um', internal)).data).toMatchObject({ result: false, sharing_model: {} });
  peers.um.setCheck('auto');
  expect((await lm.api.get('/api/v2/lm/isumalive')).data).toEqual({ res: 'ok' });
  await peers.um.setDown(true, 'refuse');
  try {
    const dead = await lm.api.get('/api/v2/lm/isumalive');
    expect(dead.status).toBe(503);
    expect(dead.data.message).toMatch(/User Management is not alive/);
    expect((await lm.api.get('/api/v2/lm/check-agent-um', internal)).status).toBe(503);
  } finally {
    await peers.um.setDown(false);
  }
});

test('check-agent-swarm answers in the original shape', async () => {
  const { status, data } = await lm.api.get('/api/v2/lm/check-agent-swarm', internal);
  expect(status).toBe(200);
  expect(data).toMatchObject({ 'device-id': 'not-defined', 'user-id': 'not-defined', result: expect.any(Boolean) });
  expect(data.message).toMatch(/^docker swarm (supported|not supported)$|^docker client error/);
});

test('internal endpoints need LM_INTERNAL_TOKEN when it is set', async () => {
  expect((await lm.api.get('/api/v2/lm/check-agent-um')).status).toBe(401);
  expect((await lm.api.post('/api/v2/lm/service-instance-int', {})).status).toBe(401);
  expect((await lm.api.post('/api/v2/lm/service-instance-int/status', {})).status).toBe(401);
});

test('service-instance-int: an original LM deploys, starts, stops and terminates a container here', async () => {
  const uuid = randomUUID();
  made.push(uuid);
  const service = { id: 'service/x', name: 'web', exec: BUSYBOX_IMAGE, exec_type: 'docker', exec_ports: [80], category: 0 };
  const agent = {
    url: '127.0.0.1',
    device_id: '-',
    app_type: 'docker',
    ports: [80],
    status: 'created-not-initialized',
    container_id: '-',
    compss_app_id: '-',
    allow: true,
    master_compss: true,
    agent_param: 'not-defined',
  };
  const instance = { id: `service-instance/${uuid}`, device_ip: '127.0.0.1', agents: [agent] };
  // As an original LM sends it: the agent as a Python literal.
  const deployed = await lm.api.post(
    '/api/v2/lm/service-instance-int',
    { service, service_instance: instance, agent: toPythonLiteral(agent) },
    internal,
  );
  expect(deployed.status).toBe(200);
  expect(deployed.data).toMatchObject({ error: false, message: 'Deploy service in agent' });
  const reported = parsePythonLiteral(deployed.data.agent) as { status: string; container_id: string; ports: number[] };
  expect(reported.status).toBe('waiting');
  expect(reported.ports[0]).toBeGreaterThanOrEqual(20001);
  const [container] = await containersOf(uuid);
  expect(container.Id).toBe(reported.container_id);
  expect((await inspectContainer(container.Id)).State.Running).toBe(false);

  const operate = (operation: string) =>
    lm.api.put('/api/v2/lm/service-instance-int', { service, operation, agent: deployed.data.agent }, internal);
  // Not in the original: the LM driving the instance asks what this agent's runtime reports.
  const statusOf = async () =>
    (
      await lm.api.post(
        '/api/v2/lm/service-instance-int/status',
        { service, agent: deployed.data.agent, service_instance: instance },
        internal,
      )
    ).data;
  const started = await operate('start');
  expect(started.data).toMatchObject({ error: false, message: 'Start service', status: 'started' });
  expect((parsePythonLiteral(started.data.agent) as { status: string; container_id: string }).container_id).toBe(container.Id);
  expect((parsePythonLiteral(started.data.agent) as { status: string }).status).toBe('started');
  expect((await inspectContainer(container.Id)).State.Running).toBe(true);
  expect(await statusOf()).toEqual({ error: false, message: 'Agent status', status: 'started' });
  expect((await operate('stop')).data).toMatchObject({ message: 'Stop service', status: 'stopped' });
  expect((await inspectContainer(container.Id)).State.Running).toBe(false);
  expect((await statusOf()).status).toBe('stopped');
  expect((await operate('pause')).status).toBe(501);
  expect((await operate('terminate')).data).toMatchObject({ message: 'Terminate service', status: 'terminated' });
  expect(await containersOf(uuid)).toHaveLength(0);

  const missing = await lm.api.post('/api/v2/lm/service-instance-int', { service, service_instance: instance }, internal);
  expect(missing.status).toBe(400);
  expect(missing.data.message).toMatch(/parameter not found: agent/);
  const badImage = await lm.api.post(
    '/api/v2/lm/service-instance-int',
    { service: { ...service, exec: 'lm-test/not-there:1' }, service_instance: instance, agent },
    internal,
  );
  expect(badImage.status).toBe(400);
}, 120_000);
