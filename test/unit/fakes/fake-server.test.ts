import express from 'express';
import { CallRecorder } from '../../fakes/call-recorder';
import { type FakeServer, startFakeServer } from '../../fakes/fake-server';
import { http, networkError } from './http-client';

/** A trivial peer: echoes what it parsed. */
function echoPeer(): express.Router {
  const router = express.Router();
  router.all('/echo', (req, res) => {
    res.json({ body: req.body as unknown });
  });
  return router;
}

describe('fake server base', () => {
  let fake: FakeServer;
  beforeEach(async () => {
    fake = await startFakeServer({ peer: 'echo', routes: echoPeer(), errorBody: (status, message) => ({ code: status, message }) });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('listens on 127.0.0.1 on a free port', () => {
    expect(fake.url).toBe(`http://127.0.0.1:${fake.port}`);
    expect(fake.port).toBeGreaterThan(0);
  });

  it('records method, path, decoded query, lower-cased headers and parsed JSON body', async () => {
    await http('POST', `${fake.url}/echo?$filter=${encodeURIComponent('a="b c"')}&x=1&x=2`, {
      body: { hello: 'world' },
      headers: { 'Slipstream-Authn-Info': 'super ADMIN', Accept: 'text/json', 'X-Ignored': 'yes' },
    });
    const [call] = fake.calls();
    expect(call).toMatchObject({
      peer: 'echo',
      method: 'POST',
      path: '/echo',
      query: { $filter: 'a="b c"', x: ['1', '2'] },
      headers: { 'slipstream-authn-info': 'super ADMIN', accept: 'text/json', 'content-type': 'application/json' },
      body: { hello: 'world' },
    });
    expect(call?.headers).not.toHaveProperty('x-ignored');
    expect(Number.isNaN(Date.parse(call?.at ?? ''))).toBe(false);
  });

  it('records XML and text bodies as raw text, and an empty body as null', async () => {
    const xml = '<?xml version="1.0"?><startApplication><a>1</a></startApplication>';
    const answer = await http('PUT', `${fake.url}/echo`, { body: xml, headers: { 'Content-Type': 'application/xml' } });
    expect(answer.json).toEqual({ body: xml });
    await http('GET', `${fake.url}/echo`);
    expect(fake.calls().map((c) => c.body)).toEqual([xml, null]);
  });

  it('records malformed JSON as text and answers 400 with the peer envelope', async () => {
    const answer = await http('POST', `${fake.url}/echo`, { body: '{"broken":', headers: { 'Content-Type': 'application/json' } });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ code: 400, message: 'malformed JSON body' });
    expect(fake.calls()[0]?.body).toBe('{"broken":');
  });

  it('answers unknown routes 404 with the peer envelope, after recording them', async () => {
    const answer = await http('GET', `${fake.url}/nowhere`);
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ code: 404, message: 'no route for GET /nowhere' });
    expect(fake.callsTo('GET', '/nowhere')).toHaveLength(1);
  });

  it('failNext: 500 twice, then the real answer; faulted calls are marked', async () => {
    fake.failNext('POST', /^\/echo$/, { status: 500, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await http('POST', `${fake.url}/echo`, { body: { i } })).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(fake.calls().map((c) => c.fault)).toEqual(['fail', 'fail', undefined]);
  });

  it('failNext sends a scripted JSON or text body and only matches its method', async () => {
    fake.failNext('PUT', '/echo', { status: 400, body: { why: 'bad' } });
    fake.failNext('*', '/echo', { status: 503, body: 'try later', headers: { 'Retry-After': '1' } });
    expect((await http('GET', `${fake.url}/echo`)).text).toBe('try later');
    const bad = await http('PUT', `${fake.url}/echo`, { body: {} });
    expect([bad.status, bad.json]).toEqual([400, { why: 'bad' }]);
    expect((await http('PUT', `${fake.url}/echo`, { body: {} })).status).toBe(200);
  });

  it('hang delays the answer; a client timeout sees no answer', async () => {
    fake.hang('GET', '/echo', 300, 1);
    const started = Date.now();
    expect((await http('GET', `${fake.url}/echo`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    fake.hang('GET', '/echo', Infinity);
    await expect(http('GET', `${fake.url}/echo`, { timeoutMs: 200 })).rejects.toThrow(/timeout/);
    expect(fake.calls().map((c) => c.fault)).toEqual(['hang', 'hang']);
  });

  it('setDown reset drops connections, refuse closes the port, and both recover', async () => {
    await fake.setDown(true);
    expect(await networkError('GET', `${fake.url}/echo`)).toBe('ECONNRESET');
    expect(fake.calls()[0]?.fault).toBe('down');
    await fake.setDown(false);
    expect((await http('GET', `${fake.url}/echo`)).status).toBe(200);

    await fake.setDown(true, 'refuse');
    expect(await networkError('GET', `${fake.url}/echo`)).toBe('ECONNREFUSED');
    await fake.clearFaults();
    expect((await http('GET', `${fake.url}/echo`)).status).toBe(200);
  });

  it('shares one recorder between fakes, keeping the order across peers', async () => {
    const recorder = new CallRecorder();
    const a = await startFakeServer({ peer: 'a', routes: echoPeer() }, { recorder });
    const b = await startFakeServer({ peer: 'b', routes: echoPeer() }, { recorder });
    try {
      await http('GET', `${b.url}/echo`);
      await http('GET', `${a.url}/echo`);
      expect(recorder.calls().map((c) => c.peer)).toEqual(['b', 'a']);
      expect(a.calls()).toHaveLength(1);
      await expect(a.waitForCall((c) => c.peer === 'b', 50)).rejects.toThrow('no a call');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
