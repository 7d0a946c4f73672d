/** Fetching a compose file: http(s) only, bounded in time, size and redirects, and classified for retries. */
import {
  composeUrlProblem,
  DEFAULT_COMPOSE_FETCH_LIMITS,
  fetchComposeFile,
  type ComposeFetchLimits,
} from '../../../activities/runtime/compose/fetch-compose-file';
import { startComposeFileServer, type ComposeFileServer } from '../../support/compose-file-server';
import { freePort } from '../../support/free-port';

const LIMITS: ComposeFetchLimits = { ...DEFAULT_COMPOSE_FETCH_LIMITS, timeoutMs: 1_500, maxBytes: 64 * 1024, maxRedirects: 2 };
let server: ComposeFileServer;

beforeAll(async () => {
  server = await startComposeFileServer();
  server.put('redirected.yml', 'services:\n  web:\n    image: a\n');
});

afterAll(async () => {
  await server.close();
});

test('a served file comes back as text', async () => {
  const url = server.put('ok.yml', 'services:\n  web:\n    image: lm-test/busybox:latest\n');
  expect(await fetchComposeFile(url, LIMITS)).toEqual({ ok: true, text: 'services:\n  web:\n    image: lm-test/busybox:latest\n' });
});

test('HTTP 404 is not retryable and names the URL and the status', async () => {
  const result = await fetchComposeFile(`${server.baseUrl}/files/missing.yml`, LIMITS);
  expect(result).toMatchObject({ ok: false, retryable: false });
  expect(!result.ok && result.message).toMatch(new RegExp(`${server.baseUrl}/files/missing.yml.*HTTP 404`));
});

test('HTTP 5xx is retryable', async () => {
  expect(await fetchComposeFile(`${server.baseUrl}/status/503`, LIMITS)).toMatchObject({
    ok: false,
    retryable: true,
    message: expect.stringMatching(/HTTP 503/),
  });
});

test('an unreachable URL is not retryable', async () => {
  const port = await freePort();
  const result = await fetchComposeFile(`http://127.0.0.1:${port}/compose.yml`, LIMITS);
  expect(result).toMatchObject({ ok: false, retryable: false, message: expect.stringMatching(/ECONNREFUSED/) });
});

test('redirects are followed up to the limit, not beyond', async () => {
  expect(await fetchComposeFile(`${server.baseUrl}/redirect/2`, LIMITS)).toMatchObject({ ok: true });
  expect(await fetchComposeFile(`${server.baseUrl}/redirect/3`, LIMITS)).toMatchObject({
    ok: false,
    retryable: false,
    message: expect.stringMatching(/redirects more than 2 times/),
  });
});

test('a file over the size limit is refused', async () => {
  expect(await fetchComposeFile(`${server.baseUrl}/large`, LIMITS)).toMatchObject({
    ok: false,
    retryable: false,
    message: expect.stringMatching(/larger than 65536 bytes/),
  });
});

test('a server that drips bytes is cut at the deadline, retryably', async () => {
  const started = Date.now();
  const result = await fetchComposeFile(`${server.baseUrl}/slow`, LIMITS);
  expect(result).toMatchObject({ ok: false, retryable: true, message: expect.stringMatching(/within 1500 ms/) });
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('an empty file is refused', async () => {
  const url = server.put('empty.yml', '  \n');
  expect(await fetchComposeFile(url, LIMITS)).toMatchObject({ ok: false, retryable: false, message: expect.stringMatching(/is empty/) });
});

test('only http and https URLs are fetched; credentials never reach a message', async () => {
  expect(composeUrlProblem('file:///etc/passwd')).toMatch(/only http and https/);
  expect(composeUrlProblem('ftp://example.org/c.yml')).toMatch(/only http and https/);
  expect(composeUrlProblem('not a url')).toMatch(/not a URL/);
  expect(composeUrlProblem('https://example.org/c.yml')).toBeNull();
  const result = await fetchComposeFile('file:///etc/passwd', LIMITS);
  expect(result).toMatchObject({ ok: false, retryable: false });
  const secret = await fetchComposeFile(`http://user:s3cret@127.0.0.1:${new URL(server.baseUrl).port}/files/missing.yml`, LIMITS);
  expect(!secret.ok && secret.message).not.toMatch(/s3cret/);
});
