import { type FakeCimi, startFakeCimi } from '../../fakes/cimi';
import { CIMI_AUTH, http } from './http-client';

/** What the original LM POSTs (spec/mf2c-peers.md §5.3), including the keys the server overrides. */
function instanceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service: 'service/c26b',
    agreement: 'DEFAULT-VALUE',
    user: 'rsucasas',
    device_id: 'c3a1f0e7',
    device_ip: '192.168.252.41',
    parent_device_id: 'not-defined',
    parent_device_ip: 'not-defined',
    service_type: 'compss',
    status: 'created-not-initialized',
    agents: [
      {
        device_id: '-',
        app_type: 'compss',
        ports: [8080],
        url: '192.168.252.41',
        status: 'created-not-initialized',
        compss_app_id: '-',
        allow: true,
        container_id: '-',
        master_compss: true,
        agent_param: 'not-defined',
      },
    ],
    acl: {
      owner: { principal: 'rsucasas', type: 'ROLE' },
      rules: [
        { principal: 'ADMIN', type: 'ROLE', right: 'ALL' },
        { principal: 'ANON', type: 'ROLE', right: 'ALL' },
      ],
    },
    created: 'client-made',
    updated: 'client-made',
    resourceURI: { href: 'service-instance/1234579abcdef' },
    id: 'service-instance/client-chosen',
    operations: [{ rel: 'edit', href: 'x' }],
    ...overrides,
  };
}

describe('fake CIMI', () => {
  let cimi: FakeCimi;
  beforeEach(async () => {
    cimi = await startFakeCimi({ seed: { deviceId: 'c3a1f0e7', deviceIp: '10.0.0.1', leaderIp: '10.0.0.9', user: 'rsucasas' } });
  });
  afterEach(async () => {
    await cimi.close();
  });

  const post = (resource: string, body: unknown) => http('POST', `${cimi.apiUrl}/${resource}`, { body, headers: CIMI_AUTH });

  it('answers 403 without slipstream-authn-info, and records the attempt', async () => {
    const answer = await http('GET', `${cimi.apiUrl}/agent`);
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ status: 403 });
    expect(cimi.callsTo('GET', '/api/agent')[0]?.headers).not.toHaveProperty('slipstream-authn-info');
  });

  it('creates with 201, Location and the CIMI envelope; the server owns id, timestamps and resourceURI', async () => {
    const answer = await post('service-instance', instanceBody());
    expect(answer.status).toBe(201);
    const id = (answer.json as { 'resource-id': string })['resource-id'];
    expect(id).toMatch(/^service-instance\/[0-9a-f-]{36}$/);
    expect(answer.json).toEqual({ status: 201, message: `${id} created`, 'resource-id': id });
    expect(answer.headers.location).toBe(id);
    const stored = cimi.get(id);
    expect(stored).toMatchObject({ id, resourceURI: 'http://schemas.dmtf.org/cimi/2/ServiceInstance', user: 'rsucasas' });
    expect(stored?.created).not.toBe('client-made');
    expect(stored).not.toHaveProperty('operations');
    expect(stored?.acl).toEqual(instanceBody().acl);
  });

  it('reads an item with operations, and 404s with the envelope once deleted', async () => {
    const id = (await post('service-instance', instanceBody())).json as { 'resource-id': string };
    const url = `${cimi.url}/api/${id['resource-id']}`;
    const read = await http('GET', url, { headers: CIMI_AUTH });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: id['resource-id'], operations: [{ rel: 'edit' }, { rel: 'delete' }] });

    const deleted = await http('DELETE', url, { headers: CIMI_AUTH });
    expect([deleted.status, deleted.json]).toEqual([
      200,
      { status: 200, message: `${id['resource-id']} deleted`, 'resource-id': id['resource-id'] },
    ]);
    const missing = await http('GET', url, { headers: CIMI_AUTH });
    expect([missing.status, missing.json]).toEqual([
      404,
      { status: 404, message: `${id['resource-id']} not found`, 'resource-id': id['resource-id'] },
    ]);
    expect((await http('DELETE', url, { headers: CIMI_AUTH })).status).toBe(404);
  });

  it('PUT merges over the stored document, bumps updated and returns it', async () => {
    const id = ((await post('service-instance', instanceBody())).json as { 'resource-id': string })['resource-id'];
    const before = cimi.get(id);
    await new Promise((r) => setTimeout(r, 5));
    const answer = await http('PUT', `${cimi.url}/api/${id}`, {
      body: { status: 'started', agreement: 'agreement/1' },
      headers: CIMI_AUTH,
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id, status: 'started', agreement: 'agreement/1', user: 'rsucasas', created: before?.created });
    expect(cimi.get(id)?.updated).not.toBe(before?.updated);
    expect((await http('PUT', `${cimi.url}/api/service-instance/nope`, { body: {}, headers: CIMI_AUTH })).status).toBe(404);
  });

  describe('closed service-instance schema', () => {
    const agent = (instanceBody().agents as Array<Record<string, unknown>>)[0] ?? {};
    it.each([
      ['an unknown top-level key', { num_cpus: 2 }, 'key "num_cpus" is not allowed'],
      ['an unknown agent key', { agents: [{ ...agent, agent_ip: '10.0.0.1' }] }, 'agents[0]: key "agent_ip" is not allowed'],
      ['a missing agent key', { agents: [{ ...agent, allow: undefined }] }, 'agents[0]: missing required key "allow"'],
      ['a blank agreement', { agreement: '' }, 'key "agreement" must be a non-blank string'],
      ['a missing user', { user: undefined }, 'missing required key "user"'],
      ['duplicate agents', { agents: [agent, agent] }, 'must hold distinct elements'],
      ['a non-boolean allow', { agents: [{ ...agent, allow: 'true' }] }, 'key "allow" must be a boolean'],
      ['bad ports', { agents: [{ ...agent, ports: ['8080'] }] }, 'key "ports" must be a list of ports'],
    ])('rejects %s with 400 naming the key', async (_what, overrides, message) => {
      const answer = await post('service-instance', JSON.parse(JSON.stringify(instanceBody(overrides))));
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ status: 400 });
      expect((answer.json as { message: string }).message).toContain('resource does not satisfy defined schema: ');
      expect((answer.json as { message: string }).message).toContain(message);
      expect(cimi.list('service-instance')).toHaveLength(0);
    });

    it('re-validates on PUT, keeping the stored document', async () => {
      const id = ((await post('service-instance', instanceBody())).json as { 'resource-id': string })['resource-id'];
      const answer = await http('PUT', `${cimi.url}/api/${id}`, { body: { timeline: [] }, headers: CIMI_AUTH });
      expect(answer.status).toBe(400);
      expect((answer.json as { message: string }).message).toContain('key "timeline" is not allowed');
      expect(cimi.get(id)).not.toHaveProperty('timeline');
    });

    it('leaves other resources open', async () => {
      expect((await post('service-operation-report', { anything: 1 })).status).toBe(201);
    });
  });

  it('lists collections with count and the plural key, empty list included', async () => {
    const agents = await http('GET', `${cimi.apiUrl}/agent`, { headers: CIMI_AUTH });
    expect(agents.json).toMatchObject({ id: 'agent', count: 1, resourceURI: 'http://schemas.dmtf.org/cimi/2/AgentCollection' });
    expect((agents.json as { agents: unknown[] }).agents[0]).toMatchObject({
      device_id: 'c3a1f0e7',
      device_ip: '10.0.0.1',
      leader_ip: '10.0.0.9',
    });
    const instances = await http('GET', `${cimi.apiUrl}/service-instance`, { headers: CIMI_AUTH });
    expect(instances.json).toMatchObject({ count: 0, serviceInstances: [] });
    for (const [resource, key] of [
      ['user-profile', 'userProfiles'],
      ['sharing-model', 'sharingModels'],
      ['service', 'services'],
      ['device', 'devices'],
      ['service-operation-report', 'serviceOperationReports'],
    ]) {
      const answer = await http('GET', `${cimi.apiUrl}/${resource}`, { headers: CIMI_AUTH });
      expect(answer.json).toHaveProperty(key);
    }
  });

  it('filters with the exact (unencoded or encoded) filters the LM sends', async () => {
    const device = cimi.seeded?.device ?? '';
    const byHash = await http('GET', `${cimi.apiUrl}/device?$filter=deviceID="c3a1f0e7"`, { headers: CIMI_AUTH });
    expect(byHash.json).toMatchObject({ count: 1, devices: [{ id: device }] });
    const encoded = `${cimi.apiUrl}/user-profile?$filter=${encodeURIComponent(`device_id="${device}"`)}`;
    expect((await http('GET', encoded, { headers: CIMI_AUTH })).json).toMatchObject({
      count: 1,
      userProfiles: [{ resource_contributor: true }],
    });
    const none = await http('GET', `${cimi.apiUrl}/sharing-model?$filter=device_id="device/other"`, { headers: CIMI_AUTH });
    expect(none.json).toMatchObject({ count: 0, sharingModels: [] });
    const owner = await http(
      'GET',
      `${cimi.apiUrl}/user-profile?$filter=${encodeURIComponent("acl/owner/principal='rsucasas' and (service_consumer=true or x=1)")}`,
      { headers: CIMI_AUTH },
    );
    expect(owner.json).toMatchObject({ count: 1 });
  });

  it('answers 400 "Invalid CIMI filter" for a broken filter', async () => {
    const answer = await http('GET', `${cimi.apiUrl}/device?$filter=${encodeURIComponent('deviceID="x" and')}`, { headers: CIMI_AUTH });
    expect(answer.status).toBe(400);
    expect((answer.json as { message: string }).message).toMatch(/^Invalid CIMI filter\. /);
  });

  it('orders and pages, counting all matches', async () => {
    for (const name of ['b', 'c', 'a']) cimi.seed('service', { name, category: 0 });
    const answer = await http('GET', `${cimi.apiUrl}/service?$filter=category=0&$orderby=name:desc&$first=2&$last=3`, {
      headers: CIMI_AUTH,
    });
    expect(answer.json).toMatchObject({ count: 4 });
    expect((answer.json as { services: Array<{ name: string }> }).services.map((s) => s.name)).toEqual(['busybox', 'b']);
  });

  it('seeds the default agent, device, profile, sharing model and categorised service', () => {
    const seeded = cimi.seeded;
    expect(seeded).toBeDefined();
    expect(cimi.get(seeded?.service ?? '')).toMatchObject({ exec: 'lm-test/busybox:latest', exec_type: 'docker', category: 0 });
    expect(cimi.get(seeded?.userProfile ?? '')).toMatchObject({ device_id: seeded?.device, acl: { owner: { principal: 'rsucasas' } } });
    expect(cimi.get(seeded?.sharingModel ?? '')).toMatchObject({ device_id: seeded?.device, max_apps: 100 });
    expect(cimi.get(seeded?.device ?? '')).toMatchObject({ deviceID: 'c3a1f0e7' });
  });

  it('seed keeps a given id, and refuses unknown resource types', async () => {
    expect(cimi.seed('service', { id: 'service/nginx-1', name: 'nginx' })).toBe('service/nginx-1');
    const answer = await http('GET', `${cimi.apiUrl}/service/nginx-1`, { headers: CIMI_AUTH });
    expect(answer.json).toMatchObject({ id: 'service/nginx-1', name: 'nginx' });
    expect(() => cimi.seed('servce', {})).toThrow('unknown resource type');
    expect((await http('GET', `${cimi.apiUrl}/servce`, { headers: CIMI_AUTH })).status).toBe(404);
  });

  it('rejects a non-object body with 400', async () => {
    const answer = await http('POST', `${cimi.apiUrl}/service-instance`, {
      body: 'user=x',
      headers: { ...CIMI_AUTH, 'Content-Type': 'text/plain' },
    });
    expect(answer.status).toBe(400);
  });
});
