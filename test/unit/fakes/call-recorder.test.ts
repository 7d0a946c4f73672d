import { CallRecorder, describeCall, type RecordedCall } from '../../fakes/call-recorder';

const call = (method: string, path: string, body: unknown = null): RecordedCall => ({
  peer: 'cimi',
  method,
  path,
  query: {},
  headers: {},
  body,
  at: new Date().toISOString(),
});

describe('CallRecorder', () => {
  it('filters by method and path prefix or regex, and clears', () => {
    const recorder = new CallRecorder();
    recorder.record(call('GET', '/api/agent'));
    recorder.record(call('PUT', '/agreements/abc/start'));
    recorder.record(call('PUT', '/agreements/abc/stop'));
    expect(recorder.callsTo('PUT', '/agreements/').map((c) => c.path)).toEqual(['/agreements/abc/start', '/agreements/abc/stop']);
    expect(recorder.callsTo('put', /\/start$/)).toHaveLength(1);
    expect(recorder.callsTo('*', '/api')).toHaveLength(1);
    recorder.clear();
    expect(recorder.calls()).toEqual([]);
  });

  it('returns copies of the list, so callers cannot drop recorded calls', () => {
    const recorder = new CallRecorder();
    recorder.record(call('GET', '/a'));
    recorder.calls().pop();
    expect(recorder.calls()).toHaveLength(1);
  });

  it('waitForCall resolves with a call recorded later', async () => {
    const recorder = new CallRecorder();
    setTimeout(() => recorder.record(call('POST', '/mf2c/optimal', { name: 'x' })), 50);
    const found = await recorder.waitForCall((c) => c.path === '/mf2c/optimal', 2000);
    expect(found.body).toEqual({ name: 'x' });
  });

  it('waitForCall rejects listing the calls seen so far', async () => {
    const recorder = new CallRecorder();
    recorder.record(call('GET', '/api/agent'));
    recorder.record(call('POST', '/api/service-instance', { user: 'u' }));
    await expect(recorder.waitForCall((c) => c.method === 'DELETE', 100)).rejects.toThrow(
      /no a matching call within 100 ms; calls seen \(2\):\n {2}cimi GET \/api\/agent\n {2}cimi POST \/api\/service-instance \{"user":"u"\}/,
    );
  });

  it('notifies listeners and keeps at most maxCalls', () => {
    const recorder = new CallRecorder(2);
    const seen: string[] = [];
    const stop = recorder.onCall((c) => seen.push(c.path));
    recorder.record(call('GET', '/1'));
    recorder.record(call('GET', '/2'));
    stop();
    recorder.record(call('GET', '/3'));
    expect(seen).toEqual(['/1', '/2']);
    expect(recorder.calls().map((c) => c.path)).toEqual(['/2', '/3']);
  });

  it('describes a call on one line with its query and fault', () => {
    const c = { ...call('GET', '/api/device'), query: { $filter: 'deviceID="x"' }, fault: 'fail' as const };
    expect(describeCall(c)).toBe('cimi GET /api/device?%24filter=deviceID%3D%22x%22 [fail]');
  });
});
