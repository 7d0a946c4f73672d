import { type FakeCimi, startFakeCimi } from '../../fakes/cimi';
import { type FakeServiceManager, startFakeServiceManager } from '../../fakes/service-manager';
import { http } from './http-client';

const instance = (id: string, service: string) => ({
  id,
  service,
  agreement: 'DEFAULT-VALUE',
  status: 'created-not-initialized',
  user: 'u',
  agents: [
    { device_id: 'device/a', allow: true, url: '10.0.0.1', ports: [], status: 'x', container_id: '-', app_type: 'docker' },
    { device_id: 'device/b', allow: false, url: '10.0.0.2', ports: [], status: 'x', container_id: '-', app_type: 'docker' },
  ],
});

describe('fake Service Manager (QoS providing)', () => {
  let cimi: FakeCimi;
  let sm: FakeServiceManager;
  let uuid: string;
  beforeEach(async () => {
    cimi = await startFakeCimi({ seed: true });
    const id = cimi.seed('service-instance', instance('service-instance/2f6d', cimi.seeded?.service ?? ''));
    uuid = id.replace('service-instance/', '');
    sm = await startFakeServiceManager({ cimi });
  });
  afterEach(async () => {
    await Promise.all([sm.close(), cimi.close()]);
  });

  it('reads the instance from CIMI and echoes only device_id and allow per agent, HTTP 200 + status 200', async () => {
    const answer = await http('GET', `${sm.url}/api/service-instance/${uuid}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      id: 'service-instance/2f6d',
      message: 'OK',
      'resource-id': '/api',
      status: 200,
      'service-instance': {
        id: 'service-instance/2f6d',
        service: cimi.seeded?.service,
        status: 'created-not-initialized',
        agreement: 'DEFAULT-VALUE',
        agents: [
          { device_id: 'device/a', allow: true },
          { device_id: 'device/b', allow: false },
        ],
      },
    });
  });

  it('sees changes the LM writes to CIMI, and scripted allow flags per device', async () => {
    cimi.patch(`service-instance/${uuid}`, { agents: [{ device_id: 'device/c', allow: true }] });
    sm.setAllow('device/c', false);
    const answer = await http('GET', `${sm.url}/api/service-instance/${uuid}`);
    expect((answer.json as { 'service-instance': unknown })['service-instance']).toMatchObject({
      agents: [{ device_id: 'device/c', allow: false }],
    });
    sm.setAllow('device/c', undefined);
    const restored = await http('GET', `${sm.url}/api/service-instance/${uuid}`);
    expect((restored.json as { 'service-instance': unknown })['service-instance']).toMatchObject({
      agents: [{ device_id: 'device/c', allow: true }],
    });
  });

  it('answers HTTP 200 with status 404 for a missing instance or service', async () => {
    const missing = await http('GET', `${sm.url}/api/service-instance/nope`);
    expect([missing.status, missing.json]).toEqual([
      200,
      { id: 'service-instance/nope', message: 'service-instance not found', 'resource-id': '/api', status: 404 },
    ]);
    cimi.remove(cimi.seeded?.service ?? '');
    const noService = await http('GET', `${sm.url}/api/service-instance/${uuid}`);
    expect(noService.json).toMatchObject({ status: 404, message: 'service not found' });
  });

  it('optionally requires the agreement in CIMI, like older SM versions', async () => {
    const strict = await startFakeServiceManager({ cimi, checkAgreement: true });
    try {
      expect((await http('GET', `${strict.url}/api/service-instance/${uuid}`)).json).toMatchObject({
        status: 404,
        message: 'agreement not found',
      });
    } finally {
      await strict.close();
    }
  });

  it('has scripted status 404 and status 400 variants, still HTTP 200', async () => {
    sm.setOutcome('error', 'java.lang.NullPointerException');
    const error = await http('GET', `${sm.url}/api/service-instance/${uuid}`);
    expect([error.status, error.json]).toEqual([
      200,
      { id: `service-instance/${uuid}`, message: 'java.lang.NullPointerException', 'resource-id': '/api', status: 400 },
    ]);
    sm.setOutcome('not-found');
    expect((await http('GET', `${sm.url}/api/service-instance/${uuid}`)).json).toMatchObject({ status: 404 });
    sm.setOutcome('ok');
    expect((await http('GET', `${sm.url}/api/service-instance/${uuid}`)).json).toMatchObject({ status: 200 });
  });

  it('works from scripted instances without CIMI; a missing allow reads as false (Java primitive)', async () => {
    const scripted = await startFakeServiceManager({ instances: [{ id: 'service-instance/s1', agents: [{ device_id: 'device/z' }] }] });
    try {
      const answer = await http('GET', `${scripted.url}/api/service-instance/s1`);
      expect(answer.json).toMatchObject({ status: 200, 'service-instance': { agents: [{ device_id: 'device/z', allow: false }] } });
      scripted.setInstance({ id: 'service-instance/s2', agents: [] });
      expect((await http('GET', `${scripted.url}/api/service-instance/s2`)).json).toMatchObject({ status: 200 });
    } finally {
      await scripted.close();
    }
  });
});
