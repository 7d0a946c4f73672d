import { type FakeSlaManager, startFakeSlaManager } from '../../fakes/sla-manager';
import { http } from './http-client';

describe('fake SLA manager (SLALite)', () => {
  let sla: FakeSlaManager;
  beforeEach(async () => {
    sla = await startFakeSlaManager();
  });
  afterEach(async () => {
    await sla.close();
  });

  const create = (body: unknown, path = '/mf2c/create-agreement') => http('POST', `${sla.url}${path}`, { body });

  it('creates an agreement from a template: 201 echo plus agreement/<uuid>', async () => {
    const answer = await create({ template_id: 'sla-template/t1', parameters: { user: 'rsucasas' } });
    expect(answer.status).toBe(201);
    const body = answer.json as { agreement_id: string };
    expect(body).toEqual({
      template_id: 'sla-template/t1',
      agreement_id: expect.stringMatching(/^agreement\/[0-9a-f-]{36}$/),
      parameters: { user: 'rsucasas' },
    });
    expect(sla.stateOf(body.agreement_id)).toBe('stopped');
    expect((await create({ template_id: 'sla-template/t1', parameters: { user: 'x' } }, '/create-agreement')).status).toBe(201);
  });

  it('answers 404 "Can\'t find object" for an unknown template, like the LM placeholder', async () => {
    const answer = await create({ template_id: 'SLA_TEMPLATE_ID', parameters: { user: 'u' } });
    expect([answer.status, answer.json]).toEqual([404, { code: '404', message: "Can't find object" }]);
  });

  it('answers 400 when a template placeholder is left unfilled', async () => {
    const answer = await create({ template_id: 'sla-template/t1', parameters: {} });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: '400', message: expect.stringContaining('"user"') });
  });

  it('honours a configured template list, with or without the prefix', async () => {
    const strict = await startFakeSlaManager({ templates: ['sla-template/known'] });
    try {
      const ok = await http('POST', `${strict.url}/mf2c/create-agreement`, { body: { template_id: 'known', parameters: { user: 'u' } } });
      expect(ok.status).toBe(201);
      const unknown = await http('POST', `${strict.url}/mf2c/create-agreement`, {
        body: { template_id: 'sla-template/other', parameters: { user: 'u' } },
      });
      expect(unknown.status).toBe(404);
      strict.addTemplate('sla-template/other');
      expect(
        (
          await http('POST', `${strict.url}/mf2c/create-agreement`, {
            body: { template_id: 'sla-template/other', parameters: { user: 'u' } },
          })
        ).status,
      ).toBe(201);
    } finally {
      await strict.close();
    }
  });

  it('start/stop/terminate answer 204 with an empty body; nothing leaves terminated', async () => {
    const id = ((await create({ template_id: 'sla-template/t1', parameters: { user: 'u' } })).json as { agreement_id: string })
      .agreement_id;
    const uuid = id.replace('agreement/', '');
    for (const op of ['start', 'stop', 'start', 'terminate']) {
      const answer = await http('PUT', `${sla.url}/agreements/${uuid}/${op}`);
      expect([answer.status, answer.text]).toEqual([204, '']);
    }
    expect(sla.agreement(id)?.history).toEqual(['started', 'stopped', 'started', 'terminated']);
    const again = await http('PUT', `${sla.url}/agreements/${uuid}/start`);
    expect([again.status, again.json]).toEqual([
      400,
      { code: '400', message: `Not valid transition from terminated to started for agreement ${uuid}` },
    ]);
    expect(sla.stateOf(uuid)).toBe('terminated');
  });

  it('answers 404 for an unknown agreement or an unstripped "agreement/" id', async () => {
    expect((await http('PUT', `${sla.url}/agreements/DEFAULT-VALUE/start`)).json).toEqual({ code: '404', message: "Can't find object" });
    const id = ((await create({ template_id: 'sla-template/t1', parameters: { user: 'u' } })).json as { agreement_id: string })
      .agreement_id;
    expect((await http('PUT', `${sla.url}/agreements/${id}/start`)).status).toBe(404);
    expect(sla.stateOf(id)).toBe('stopped');
  });
});
