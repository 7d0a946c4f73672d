import { type FakePeerLm, startFakePeerLm } from '../../fakes/peer-lm';
import { type FakeUserManagement, sendUmWarning, startFakeUserManagement } from '../../fakes/user-management';
import { http } from './http-client';

describe('fake User Management', () => {
  let um: FakeUserManagement;
  beforeEach(async () => {
    um = await startFakeUserManagement({ user: 'rsucasas', deviceId: 'device/4cdf', maxApps: 2 });
  });
  afterEach(async () => {
    await um.close();
  });
  const base = (): string => `${um.url}/api/v2/um`;
  const putApps = (delta: number) => http('PUT', `${base()}/sharing-model`, { body: { apps_running: delta } });

  it('/check allows with the sharing model (and its device_id) when the rules pass', async () => {
    const answer = await http('GET', `${base()}/check`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      error: false,
      message: 'ALLOWED: resource_contributor is set to TRUE; ',
      result: true,
      sharing_model: { device_id: 'device/4cdf', max_apps: 2 },
    });
  });

  it('/check denies once apps_running reaches max_apps, and can be forced either way', async () => {
    await putApps(1);
    await putApps(1);
    expect((await http('GET', `${base()}/check`)).json).toEqual({
      error: false,
      message: 'NOT ALLOWED: apps_running >= max_apps; ',
      result: false,
      sharing_model: {},
    });
    um.setCheck(true);
    expect((await http('GET', `${base()}/check`)).json).toMatchObject({ result: true });
    um.setCheck('auto');
    um.setMaxApps(5);
    um.setResourceContributor(false);
    expect((await http('GET', `${base()}/check`)).json).toMatchObject({
      result: false,
      message: 'NOT ALLOWED: resource_contributor is set to FALSE; ',
    });
    um.setCheck(false);
    um.setResourceContributor(true);
    expect((await http('GET', `${base()}/check`)).json).toMatchObject({ result: false });
  });

  it('/check reports a scripted sharing_model.device_id', async () => {
    um.setSharingModelDeviceId('device/other');
    expect((await http('GET', `${base()}/check`)).json).toMatchObject({ sharing_model: { device_id: 'device/other' } });
  });

  it('PUT /sharing-model adds the delta, never below 0, and answers 200 null', async () => {
    const first = await putApps(1);
    expect([first.status, first.text]).toEqual([200, 'null']);
    expect(um.appsRunning()).toBe(1);
    await putApps(-1);
    await putApps(-1);
    expect(um.appsRunning()).toBe(0);
    await putApps(1);
    expect(um.appsRunning()).toBe(1);
    expect(um.callsTo('PUT', '/api/v2/um/sharing-model').map((c) => c.body)).toEqual([
      { apps_running: 1 },
      { apps_running: -1 },
      { apps_running: -1 },
      { apps_running: 1 },
    ]);
    expect((await http('PUT', `${base()}/sharing-model`, { body: { apps: 1 } })).status).toBe(400);
  });

  it('/current/user answers user_id, or the not-found shape', async () => {
    expect((await http('GET', `${base()}/current/user`)).json).toMatchObject({
      error: false,
      message: 'User found',
      user_id: 'rsucasas',
      user_profile: { device_id: 'device/4cdf' },
    });
    um.setCurrentUser(null);
    const missing = await http('GET', `${base()}/current/user`);
    expect([missing.status, missing.json]).toEqual([
      200,
      { error: true, message: 'Warning: User profile not found', cause: 'not found / error', user: '' },
    ]);
  });

  it('serves /current/device, /user-profile and GET /sharing-model; other /current values 404', async () => {
    expect((await http('GET', `${base()}/current/device`)).json).toMatchObject({ device: 'device/4cdf' });
    expect((await http('GET', `${base()}/user-profile`)).json).toMatchObject({
      message: 'User found',
      user_profile: { resource_contributor: true },
    });
    expect((await http('GET', `${base()}/sharing-model`)).json).toMatchObject({
      message: 'Sharing-model found',
      sharing_model: { max_apps: 2 },
    });
    expect((await http('GET', `${base()}/current/other`)).status).toBe(404);
  });
});

describe('sendUmWarning', () => {
  let lm: FakePeerLm;
  beforeEach(async () => {
    lm = await startFakePeerLm();
  });
  afterEach(async () => {
    await lm.close();
  });

  it('POSTs {"type":"um_warning","data":…} to the LM notification endpoint', async () => {
    const data = { user_id: 'u', device_id: 'device/1', user_profile: {}, sharing_model: {}, result: { max_apps_violation: true } };
    const answer = await sendUmWarning(lm.url, data);
    expect(answer).toEqual({
      status: 200,
      body: {
        error: false,
        message: 'UM Warning is being processed...',
        warning:
          "{'user_id': 'u', 'device_id': 'device/1', 'user_profile': {}, 'sharing_model': {}, 'result': {'max_apps_violation': True}}",
      },
    });
    const [call] = lm.callsTo('POST', /^\/api\/v2\/lm$/);
    expect(call?.body).toEqual({ type: 'um_warning', data });
    expect(call?.headers['content-type']).toMatch(/^application\/json/);
  });

  it('keeps an explicit notification path', async () => {
    await sendUmWarning(`${lm.url}/api/v2/lm`, { result: {} });
    expect(lm.calls().map((c) => c.path)).toEqual(['/api/v2/lm']);
  });
});
