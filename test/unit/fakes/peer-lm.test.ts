import { type FakePeerLm, startFakePeerLm } from '../../fakes/peer-lm';
import { http } from './http-client';

const service = { id: 'service/nginx-1', name: 'nginx', exec: 'nginx', exec_type: 'docker', exec_ports: [80, 10080] };
const agent = {
  url: '10.0.0.2',
  ports: [80, 10080],
  status: 'created-not-initialized',
  container_id: '-',
  allow: true,
  master_compss: false,
  device_id: '-',
};

describe('fake peer LM', () => {
  let lm: FakePeerLm;
  beforeEach(async () => {
    lm = await startFakePeerLm();
  });
  afterEach(async () => {
    await lm.close();
  });
  const int = (method: string, body: unknown) => http(method, `${lm.url}/api/v2/lm/service-instance-int`, { body });

  it('POST service-instance-int deploys and answers the agent as a Python repr', async () => {
    const answer = await int('POST', { service, service_instance: { id: 'service-instance/1' }, agent });
    expect(answer.status).toBe(200);
    const body = answer.json as { error: boolean; message: string; agent: string; service: string };
    expect(body.error).toBe(false);
    expect(body.message).toBe('Deploy service in agent');
    const [containerId] = [...lm.containers().keys()];
    expect(body.agent).toBe(
      `{'url': '10.0.0.2', 'ports': [20001, 10080], 'status': 'waiting', 'container_id': '${containerId}', 'allow': True, 'master_compss': False, 'device_id': '-', 'agent_param': '-'}`,
    );
    expect(body.service).toBe(
      "{'id': 'service/nginx-1', 'name': 'nginx', 'exec': 'nginx', 'exec_type': 'docker', 'exec_ports': [80, 10080]}",
    );
  });

  it('PUT service-instance-int moves the deployed agent through start, stop and terminate', async () => {
    await int('POST', { service, service_instance: {}, agent });
    const [containerId = ''] = [...lm.containers().keys()];
    const deployed = { ...agent, container_id: containerId, status: 'waiting' };
    const start = await int('PUT', { service, operation: 'start', agent: deployed });
    expect(start.json).toMatchObject({ error: false, message: 'Start service', agent: expect.stringContaining("'status': 'started'") });
    expect(start.json).not.toHaveProperty('status');
    const stop = await int('PUT', { service, operation: 'stop', agent: deployed });
    expect(stop.json).toMatchObject({ message: 'Stop service', agent: expect.stringContaining("'status': 'stopped'") });
    const terminate = await int('PUT', { service, operation: 'terminate', agent: deployed });
    expect(terminate.json).toMatchObject({ message: 'Terminate service', status: 'terminated' });
    expect(lm.containers().size).toBe(0);
  });

  it('reports error-starting for a container it never deployed', async () => {
    const answer = await int('PUT', { service, operation: 'start', agent: { ...agent, container_id: 'unknown' } });
    expect((answer.json as { agent: string }).agent).toContain("'status': 'error-starting'");
  });

  it('answers 406 for missing keys and 501 for an unknown operation', async () => {
    expect((await int('POST', { service, agent })).json).toEqual({
      error: true,
      message: 'parameter not found: service / service_instance / agent',
    });
    expect((await int('POST', { service, agent })).status).toBe(406);
    expect((await int('PUT', { service, agent })).status).toBe(406);
    const pause = await int('PUT', { service, operation: 'pause', agent });
    expect([pause.status, pause.json]).toEqual([501, { error: true, message: 'operation not defined / implemented' }]);
  });

  it('answers null for docker-swarm deploys and a 500 repr error when scripted', async () => {
    const swarm = await int('POST', { service: { ...service, exec_type: 'docker-swarm' }, service_instance: {}, agent });
    expect([swarm.status, swarm.text]).toEqual([200, 'null']);
    lm.setDeployOutcome('error');
    const failed = await int('POST', { service, service_instance: {}, agent });
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({
      error: true,
      message: 'Exception: __deploy_docker_image()',
      agent: expect.stringMatching(/^\{'url': '10.0.0.2'/),
    });
  });

  it('puts COMPSs port 46100 first, like the original', async () => {
    const answer = await int('POST', {
      service: { ...service, exec_type: 'compss' },
      service_instance: {},
      agent: { ...agent, ports: [80] },
    });
    expect((answer.json as { agent: string }).agent).toContain("'ports': [46100, 20001]");
  });

  it('answers check-agent-um and check-agent-swarm as scripted', async () => {
    expect((await http('GET', `${lm.url}/api/v2/lm/check-agent-um`)).json).toMatchObject({
      result: true,
      sharing_model: { device_id: '' },
    });
    lm.setUmCheck({ result: true, deviceId: 'device/77' });
    expect((await http('GET', `${lm.url}/api/v2/lm/check-agent-um`)).json).toMatchObject({
      result: true,
      sharing_model: { device_id: 'device/77' },
    });
    lm.setUmCheck({ result: false });
    expect((await http('GET', `${lm.url}/api/v2/lm/check-agent-um`)).json).toMatchObject({ result: false, sharing_model: {} });
    expect((await http('GET', `${lm.url}/api/v2/lm/check-agent-swarm`)).json).toEqual({
      'device-id': 'not-defined',
      'user-id': 'not-defined',
      message: 'docker swarm not supported',
      result: false,
    });
    lm.setSwarm(true);
    expect((await http('GET', `${lm.url}/api/v2/lm/check-agent-swarm`)).json).toMatchObject({
      message: 'docker swarm supported',
      result: true,
    });
  });

  it('accepts a forwarded submit as a leader, keeping the instance id', async () => {
    const forward = {
      service_id: 'service/nginx-1',
      user_id: 'u',
      sla_template: 'sla-template/t1',
      service_instance_id: 'service-instance/abc',
    };
    const answer = await http('POST', `${lm.url}/api/v2/lm/service`, { body: forward });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      error: false,
      message: 'Service deployment operation is being processed [service-instance/abc]...',
      service_instance: { id: 'service-instance/abc' },
    });
    expect(lm.callsTo('POST', '/api/v2/lm/service')[0]?.body).toEqual(forward);
    expect((await http('POST', `${lm.url}/api/v2/lm/service`, { body: { sla_template: 'x' } })).status).toBe(406);
  });

  it('handles notifications like the original: 406 without type/data, 501 for unknown types', async () => {
    expect((await http('POST', `${lm.url}/api/v2/lm`, { body: { type: 'x' } })).status).toBe(406);
    expect((await http('POST', `${lm.url}/api/v2/lm`, { body: { type: 'x', data: {} } })).status).toBe(501);
    expect((await http('POST', `${lm.url}/api/v2/lm`, { body: { type: 'qos_enforcement', data: { num_agents: 2 } } })).status).toBe(406);
    const qos = await http('POST', `${lm.url}/api/v2/lm`, {
      body: { type: 'qos_enforcement', data: { service_instance_id: 'service-instance/1', num_agents: 2 } },
    });
    expect(qos.json).toEqual({
      error: false,
      message: 'QoS Notification is being processed...',
      notification: "{'service_instance_id': 'service-instance/1', 'num_agents': 2}",
    });
  });
});
