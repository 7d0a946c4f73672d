/**
 * The outbound address policy on resolved addresses (no connection is made to any address outside loopback:
 * names resolve through a stand-in resolver, and refused literal addresses are never dialled), and the
 * allow-list on loopback fetches.
 */
import { fetchComposeFile, DEFAULT_COMPOSE_FETCH_LIMITS } from '../../activities/runtime/compose/fetch-compose-file';
import { OutboundPolicy, type Resolve } from '../../common/outbound-address';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';

let server: ComposeFileServer;
let url: string;

beforeAll(async () => {
  server = await startComposeFileServer();
  url = server.put('ok.yml', 'services:\n  web:\n    image: a\n');
});

afterAll(async () => {
  await server.close();
});

const open = new OutboundPolicy([]);

test.each([
  '169.254.169.254',
  '169.254.0.1',
  '::ffff:169.254.169.254',
  'fe80::1',
  'febf::1',
  'fd00:ec2::254',
  '100.100.100.200',
  '0.0.0.0',
  '::',
])('%s is always refused', (address) => {
  expect(open.addressProblem('metadata', address)).toMatch(/link-local or cloud metadata address/);
  // An allow-list never lifts it.
  expect(new OutboundPolicy(['0.0.0.0/0', '::/0', 'metadata']).addressProblem('metadata', address)).toMatch(/never fetches from/);
});

test.each(['127.0.0.1', '10.1.2.3', '192.168.1.10', '::1', '100.100.100.201', 'fd00:ec2::253'])(
  '%s is allowed without an allow-list',
  (address) => {
    expect(open.addressProblem('files', address)).toBeNull();
  },
);

test('an allow-list admits its hosts (exact, *.suffix) and networks, and nothing else', () => {
  const policy = new OutboundPolicy(['files.example.org', '*.corp.example', '10.0.0.0/8', '2001:db8::/32', '127.0.0.2']);
  expect(policy.addressProblem('files.example.org', '203.0.113.5')).toBeNull();
  expect(policy.addressProblem('a.b.corp.example', '203.0.113.5')).toBeNull();
  expect(policy.addressProblem('corp.example.evil', '203.0.113.5')).toMatch(/not in LM_COMPOSE_URL_ALLOW/);
  expect(policy.addressProblem('x', '10.200.0.1')).toBeNull();
  expect(policy.addressProblem('x', '2001:db8::5')).toBeNull();
  expect(policy.addressProblem('x', '127.0.0.2')).toBeNull();
  expect(policy.addressProblem('x', '127.0.0.1')).toMatch(/not in LM_COMPOSE_URL_ALLOW/);
  expect(() => new OutboundPolicy(['files/8'])).toThrow(/not a CIDR/);
});

/** A resolver whose answers the test decides; it records the names asked. */
function resolver(answers: Record<string, string[]>): Resolve & { asked: string[] } {
  const asked: string[] = [];
  const resolve = ((hostname, callback) => {
    asked.push(hostname);
    const list = answers[hostname] ?? [];
    callback(
      null,
      list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  }) as Resolve & { asked: string[] };
  resolve.asked = asked;
  return resolve;
}

function lookupOnce(policy: OutboundPolicy, host: string): Promise<{ err: Error | null; address: unknown }> {
  return new Promise((resolve) => policy.lookup()(host, {}, (err, address) => resolve({ err, address })));
}

test('the lookup hands a connection only allowed addresses: a name resolving to metadata gets none', async () => {
  const resolve = resolver({ 'mixed.test': ['169.254.169.254', '127.0.0.1'], 'metadata.test': ['169.254.169.254', 'fe80::1'] });
  const policy = new OutboundPolicy([], 'LM_COMPOSE_URL_ALLOW', resolve);
  expect(await lookupOnce(policy, 'mixed.test')).toEqual({ err: null, address: '127.0.0.1' });
  const refused = await lookupOnce(policy, 'metadata.test');
  expect(refused.err?.message).toMatch(/metadata.test is at 169.254.169.254, a link-local or cloud metadata address/);
});

test('a name that resolves to a metadata address is refused at connect time, whatever it resolved to before (rebinding)', async () => {
  const answers: Record<string, string[]> = { 'rebind.test': ['127.0.0.1'] };
  const resolve = resolver(answers);
  const port = new URL(url).port;
  const limits = { ...DEFAULT_COMPOSE_FETCH_LIMITS, timeoutMs: 2_000, policy: new OutboundPolicy([], 'LM_COMPOSE_URL_ALLOW', resolve) };
  expect(await fetchComposeFile(`http://rebind.test:${port}/files/ok.yml`, limits)).toMatchObject({ ok: true });
  answers['rebind.test'] = ['169.254.169.254'];
  expect(await fetchComposeFile(`http://rebind.test:${port}/files/ok.yml`, limits)).toEqual({
    ok: false,
    retryable: false,
    message: expect.stringMatching(/is not fetched: rebind.test is at 169.254.169.254/),
  });
  expect(resolve.asked).toEqual(['rebind.test', 'rebind.test']);
});

test('literal refused addresses and redirects to them are never dialled', async () => {
  expect(await fetchComposeFile('http://169.254.169.254/latest/meta-data/', DEFAULT_COMPOSE_FETCH_LIMITS)).toMatchObject({
    ok: false,
    message: expect.stringMatching(/is not fetched: 169.254.169.254 is at 169.254.169.254/),
  });
  expect(await fetchComposeFile('http://[fd00:ec2::254]/latest/', DEFAULT_COMPOSE_FETCH_LIMITS)).toMatchObject({
    ok: false,
    message: expect.stringMatching(/never fetches from/),
  });
  const redirect = `${server.baseUrl}/redirect-to?url=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`;
  expect(await fetchComposeFile(redirect, DEFAULT_COMPOSE_FETCH_LIMITS)).toMatchObject({
    ok: false,
    retryable: false,
    message: expect.stringMatching(/a redirect to http:\/\/169.254.169.254\/latest\/meta-data\/: .*never fetches from/),
  });
});

test('LM_COMPOSE_URL_ALLOW on loopback: a host outside it is not fetched, one inside it is', async () => {
  const port = new URL(url).port;
  const only2 = { ...DEFAULT_COMPOSE_FETCH_LIMITS, policy: new OutboundPolicy(['127.0.0.2']) };
  expect(await fetchComposeFile(url, only2)).toMatchObject({
    ok: false,
    message: expect.stringMatching(/127.0.0.1 \(127.0.0.1\) is not in LM_COMPOSE_URL_ALLOW/),
  });
  expect(await fetchComposeFile(`http://localhost:${port}/files/ok.yml`, only2)).toMatchObject({
    ok: false,
    message: expect.stringMatching(/not in LM_COMPOSE_URL_ALLOW/),
  });
  const loopback = { ...DEFAULT_COMPOSE_FETCH_LIMITS, policy: new OutboundPolicy(['127.0.0.0/8']) };
  expect(await fetchComposeFile(url, loopback)).toMatchObject({ ok: true });
  const byName = { ...DEFAULT_COMPOSE_FETCH_LIMITS, policy: new OutboundPolicy(['localhost']) };
  expect(await fetchComposeFile(`http://localhost:${port}/files/ok.yml`, byName)).toMatchObject({ ok: true });
});

test('what a URL answers that is not a compose file is never quoted back', async () => {
  const { checkComposeDocument } = await import('../../activities/runtime/compose/check-compose-document');
  const fetched = await fetchComposeFile(`${server.baseUrl}/credentials`, DEFAULT_COMPOSE_FETCH_LIMITS);
  if (!fetched.ok) throw new Error(fetched.message);
  const problems = JSON.stringify(checkComposeDocument(fetched.text, { allowPrivileged: false, instanceDir: '/tmp/x', project: 'lm-x' }));
  expect(problems).toMatch(/not a compose file/);
  expect(problems).not.toMatch(/AKIA|hunter2|session-token|AccessKeyId|SecretAccessKey/);
  const yaml = JSON.stringify(
    checkComposeDocument('services: [\n  "AKIA-SECRET\n', { allowPrivileged: false, instanceDir: '/tmp/x', project: 'lm-x' }),
  );
  expect(yaml).toMatch(/invalid YAML/);
  expect(yaml).not.toMatch(/AKIA/);
});
