/** How a peer's answer is classified: 4xx rejected, 5xx unavailable, and ambiguous failures of non-idempotent calls. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { callPeer, MAX_PEER_RESPONSE_BYTES } from '../../../activities/peers/http-peer';

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000);
    if (req.url === '/drip') {
      // Never quiet for long, so only an overall deadline ends it.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      return void res.on('close', () => clearInterval(timer));
    }
    if (req.url === '/huge')
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(`"${'x'.repeat(MAX_PEER_RESPONSE_BYTES + 10)}"`);
    const status = Number(req.url?.slice(1)) || 200;
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: `answer ${status}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

async function typeOf(path: string, idempotent: boolean, url = `${base}${path}`): Promise<string> {
  try {
    await callPeer({ peer: 'the peer', method: 'put', url, timeoutMs: 300, idempotent });
    return 'ok';
  } catch (err) {
    return err instanceof ApplicationFailure ? `${err.type}${err.nonRetryable ? ' (final)' : ''}: ${err.message}` : String(err);
  }
}

test("2xx is an answer, 4xx is rejected with the peer's words, 5xx is unavailable", async () => {
  expect(await typeOf('/204', true)).toBe('ok');
  expect(await typeOf('/404', true)).toMatch(/^PeerRejected \(final\): the peer \(PUT .*\/404\) answered 404: \{"message":"answer 404"\}/);
  expect(await typeOf('/503', false)).toMatch(/^PeerUnavailable: .*answered 503/);
});

test('refused connections were never sent; a timeout of a non-idempotent call may have been applied', async () => {
  expect(await typeOf('', false, 'http://127.0.0.1:1/x')).toMatch(/^PeerUnavailable: .*ECONNREFUSED/);
  expect(await typeOf('/slow', false)).toMatch(/^PeerOutcomeUnknown \(final\): .*not resent/);
  expect(await typeOf('/slow', true)).toMatch(/^PeerUnavailable: /);
});

test('a peer that drips its answer is cut at the deadline; one that answers too much is refused', async () => {
  const started = Date.now();
  expect(await typeOf('/drip', true)).toMatch(/^PeerUnavailable: .*not reachable/);
  expect(Date.now() - started).toBeLessThan(1_500);
  expect(await typeOf('/huge', true)).toMatch(/^PeerUnavailable: .*maxContentLength size of 4194304 exceeded/);
});
