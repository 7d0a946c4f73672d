import { type Sandbox, sandboxConfigFromEnv, startSandbox } from '../../fakes/sandbox';
import { CIMI_AUTH, http } from './http-client';

describe('mF2C sandbox', () => {
  it('reads ports and IPs from the environment, with the documented defaults', () => {
    expect(sandboxConfigFromEnv({})).toEqual({
      bindHost: '127.0.0.1',
      hostIp: '127.0.0.1',
      leaderIp: '127.0.0.1',
      ports: { cimi: 8201, sla: 46030, sm: 46200, um: 46300, recommender: 46020 },
    });
    const custom = sandboxConfigFromEnv({ HOST_IP: '10.1.2.3', FAKE_CIMI_PORT: '18201', LEADER_IP: '10.1.2.9' });
    expect(custom).toMatchObject({ hostIp: '10.1.2.3', leaderIp: '10.1.2.9', ports: { cimi: 18201 } });
    expect(() => sandboxConfigFromEnv({ FAKE_UM_PORT: 'http' })).toThrow('FAKE_UM_PORT must be a port number');
  });

  describe('running', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await startSandbox({
        bindHost: '127.0.0.1',
        hostIp: '10.1.2.3',
        leaderIp: '10.1.2.3',
        ports: { cimi: 0, sla: 0, sm: 0, um: 0, recommender: 0 },
      });
    });
    afterAll(async () => {
      await sandbox.close();
    });

    it('prints the LM environment pointing at every fake', () => {
      expect(Object.keys(sandbox.env)).toEqual([
        'CIMI_URL',
        'URL_PM_SLA_MANAGER',
        'URL_AC_SERVICE_MNGMT',
        'URL_AC_USER_MANAGEMENT',
        'URL_PM_RECOM_LANDSCAPER',
        'LM_MODE',
        'HOST_IP',
      ]);
      expect(sandbox.env).toMatchObject({
        CIMI_URL: `${sandbox.cimi.url}/api`,
        URL_PM_SLA_MANAGER: sandbox.sla.url,
        URL_AC_SERVICE_MNGMT: `${sandbox.sm.url}/api`,
        URL_AC_USER_MANAGEMENT: `${sandbox.um.url}/api/v2/um`,
        URL_PM_RECOM_LANDSCAPER: `${sandbox.recommender.url}/mf2c`,
        LM_MODE: 'MF2C',
        HOST_IP: '10.1.2.3',
      });
    });

    it('seeds the agent from HOST_IP and a docker busybox service of category 0', async () => {
      const agents = await http('GET', `${sandbox.env.CIMI_URL}/agent`, { headers: CIMI_AUTH });
      expect(agents.json).toMatchObject({ count: 1, agents: [{ device_ip: '10.1.2.3', leader_ip: '10.1.2.3' }] });
      const services = await http('GET', `${sandbox.env.CIMI_URL}/service`, { headers: CIMI_AUTH });
      expect(services.json).toMatchObject({ count: 1, services: [{ exec: 'lm-test/busybox:latest', exec_type: 'docker', category: 0 }] });
      expect((await http('POST', `${sandbox.env.URL_PM_RECOM_LANDSCAPER}/optimal`, { body: { name: 'busybox' } })).json).toMatchObject([
        { ipaddress: '10.1.2.3' },
      ]);
      expect((await http('GET', `${sandbox.env.URL_AC_USER_MANAGEMENT}/check`)).json).toMatchObject({
        sharing_model: { device_id: sandbox.cimi.seeded?.device },
      });
    });

    it('records every peer in one recorder and notifies its listeners', async () => {
      sandbox.recorder.clear();
      const lines: string[] = [];
      const stop = sandbox.recorder.onCall((call) => lines.push(JSON.stringify(call)));
      await http('GET', `${sandbox.env.URL_AC_USER_MANAGEMENT}/check`);
      await http('PUT', `${sandbox.env.URL_PM_SLA_MANAGER}/agreements/x/start`);
      stop();
      expect(lines.map((line) => (JSON.parse(line) as { peer: string }).peer)).toEqual(['user-management', 'sla-manager']);
    });
  });
});
