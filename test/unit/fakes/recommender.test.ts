import { NOT_READY_TEXT, type FakeRecommender, recommenderHost, startFakeRecommender } from '../../fakes/recommender';
import { http, networkError } from './http-client';

describe('fake recommender (Analytics Engine)', () => {
  let recommender: FakeRecommender;
  const request = { sort_order: ['cpu', 'memory'], name: 'hello-world', service_id: 'service/c26b' };
  beforeEach(async () => {
    recommender = await startFakeRecommender({ hosts: ['10.0.0.1', recommenderHost('10.0.0.2', { node_name: 'IRILD039' })] });
  });
  afterEach(async () => {
    await recommender.close();
  });
  const optimal = () => http('POST', `${recommender.url}/mf2c/optimal`, { body: request, headers: { Accept: 'text/json' } });

  it('answers the configured hosts in order, as JSON, and records the request', async () => {
    const answer = await optimal();
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect((answer.json as Array<{ ipaddress: string; node_name: string }>).map((h) => [h.ipaddress, h.node_name])).toEqual([
      ['10.0.0.1', 'node-10.0.0.1'],
      ['10.0.0.2', 'IRILD039'],
    ]);
    expect(recommender.calls()[0]).toMatchObject({ body: request, headers: { accept: 'text/json' } });
  });

  it('can answer 202 text/plain "not ready", an empty list, then recover', async () => {
    await recommender.setMode('not-ready');
    const notReady = await optimal();
    expect([notReady.status, notReady.text]).toEqual([202, NOT_READY_TEXT]);
    expect(notReady.headers['content-type']).toMatch(/^text\/plain/);
    await recommender.setMode('empty');
    expect((await optimal()).json).toEqual([]);
    recommender.setHosts(['10.0.0.7']);
    await recommender.setMode('ok');
    expect((await optimal()).json).toEqual([recommenderHost('10.0.0.7')]);
  });

  it('can be down (connection refused) and come back on the same port', async () => {
    await recommender.setMode('down');
    expect(await networkError('POST', `${recommender.url}/mf2c/optimal`)).toBe('ECONNREFUSED');
    await recommender.setMode('ok');
    expect((await optimal()).status).toBe(200);
  });
});
