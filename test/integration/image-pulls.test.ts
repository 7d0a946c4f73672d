/**
 * Image pulls on the real engine from a registry stand-in on loopback: what the engine answers decides
 * whether a failed pull is retried; a pull that hangs or takes too long is cut and says so; a cancelled pull
 * ends at once; and the engine really stops pulling (the registry sees its connection closed).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ensureImage, type PullLimits } from '../../activities/runtime/docker/images';
import { createDockerClient } from '../../activities/runtime/docker/docker-client';
import type { PullProgress } from '../../activities/runtime/workload';
import { FailureType } from '../../workflows/model/failures';
import { eventually } from '../support/eventually';
import { startRegistryStandIn, type RegistryMode, type RegistryStandIn } from '../support/registry-stand-in';
import { rejection } from '../support/rejection';

const SOCKET = 'unix:///var/run/docker.sock';
const docker = createDockerClient(SOCKET);
const run = randomUUID().slice(0, 8);
let registry: RegistryStandIn;
const pulled: string[] = [];

beforeAll(async () => {
  registry = await startRegistryStandIn();
});

afterAll(async () => {
  for (const image of pulled) spawnSync('docker', ['image', 'rm', '--force', image]);
  await registry?.close();
});

/** A reference of its own in `mode`, removed from the engine afterwards. */
function imageIn(name: string, mode: RegistryMode): string {
  const repository = `lm-test/pull-${name}-${run}`;
  registry.setMode(repository, mode);
  const reference = registry.reference(repository);
  pulled.push(reference);
  return reference;
}

function pull(
  image: string,
  limits: Partial<PullLimits> = {},
  signal?: AbortSignal,
  onProgress?: (p: PullProgress) => void,
): Promise<void> {
  return ensureImage(image, {
    docker,
    socket: SOCKET,
    agent: '127.0.0.1',
    limits: { timeoutMs: 60_000, stallMs: 30_000, ...limits },
    signal,
    onProgress,
  });
}

test('a pullable image is pulled, with progress in bytes and layers up to 100%', async () => {
  const image = imageIn('served', { kind: 'slow', bytesPerTick: 512 * 1024, tickMs: 100 });
  const size = registry.layerSize(`lm-test/pull-served-${run}`);
  const seen: PullProgress[] = [];
  await pull(image, {}, undefined, (p) => seen.push(p));
  expect((await docker.getImage(image).inspect()).RepoTags).toContain(image);
  const middle = seen.find((p) => p.percent !== null && p.percent > 0 && p.percent < 100);
  expect(middle).toMatchObject({ kind: 'pull', image, layers: 1, layersDone: 0, totalBytes: size });
  expect(seen[seen.length - 1]).toMatchObject({ percent: 100, layersDone: 1, bytes: size });
});

test.each<[string, RegistryMode, string, boolean, RegExp]>([
  ['an unknown manifest', { kind: 'not-found' }, FailureType.ImageNotFound, true, /cannot be pulled: .*manifest unknown/],
  ['an unauthorized pull', { kind: 'unauthorized' }, FailureType.ImageNotFound, true, /cannot be pulled: .*unauthorized/],
  [
    'a registry 500',
    { kind: 'fail', status: 500, times: 99 },
    FailureType.RuntimeUnavailable,
    false,
    /did not answer properly .*500 Internal Server Error/,
  ],
  [
    'a registry 503',
    { kind: 'fail', status: 503, times: 99 },
    FailureType.RuntimeUnavailable,
    false,
    /did not answer properly .*503 Service Unavailable/,
  ],
  [
    'a rate limit (429)',
    { kind: 'fail', status: 429, times: 99 },
    FailureType.RuntimeUnavailable,
    false,
    /rate-limiting \(toomanyrequests\)/,
  ],
])("%s: classified from the engine's answer", async (name, mode, type, nonRetryable, message) => {
  const err = await rejection(pull(imageIn(name.replace(/\W+/g, '-'), mode)));
  expect({ type: err.type, nonRetryable: err.nonRetryable }).toEqual({ type, nonRetryable });
  expect(err.message).toMatch(message);
});

test('a registry that accepts the manifest request and never answers: cut after LM_PULL_STALL_S', async () => {
  const image = imageIn('hangs', { kind: 'hang' });
  const started = Date.now();
  const err = await rejection(pull(image, { stallMs: 2_000 }));
  expect(Date.now() - started).toBeLessThan(6_000);
  expect(err).toMatchObject({ type: FailureType.RuntimeUnavailable, nonRetryable: false });
  expect(err.message).toMatch(/made no progress for 2 s \(LM_PULL_STALL_S\): the registry does not answer/);
});

test('a pull past LM_PULL_TIMEOUT_S is cut, saying how far it got', async () => {
  const image = imageIn('slow', { kind: 'slow', bytesPerTick: 64 * 1024, tickMs: 200 });
  const err = await rejection(pull(image, { timeoutMs: 3_000 }));
  expect(err).toMatchObject({ type: FailureType.RuntimeUnavailable, nonRetryable: false });
  expect(err.message).toMatch(/did not finish within 3 s \(LM_PULL_TIMEOUT_S\); it had got as far as \d+% \(/);
});

test.each<[string, RegistryMode, (repository: string) => number]>([
  ['waiting for a manifest', { kind: 'hang' }, (repository) => registry.hangingRequests(repository)],
  ['downloading a layer', { kind: 'slow', bytesPerTick: 32 * 1024, tickMs: 200 }, (repository) => registry.dripsInFlight(repository)],
])('a pull cancelled while %s ends at once with the cancellation', async (what, mode, inFlightOf) => {
  const image = imageIn(`cancelled-${mode.kind}`, mode);
  const inFlight = (): number => inFlightOf(`lm-test/pull-cancelled-${mode.kind}-${run}`);
  const controller = new AbortController();
  const pulling = pull(image, {}, controller.signal);
  await eventually(`the engine ${what}`, async () => (inFlight() > 0 ? true : undefined), 10_000, 100);
  const cancelledAt = Date.now();
  controller.abort(new Error('cancelled by the test'));
  await expect(pulling).rejects.toThrow('cancelled by the test');
  expect(Date.now() - cancelledAt).toBeLessThan(1_000);
  // Once the layer downloads, the engine drops the pull nobody waits for (a manifest request it keeps open).
  if (mode.kind === 'slow')
    await eventually('the engine to stop downloading', async () => (inFlight() === 0 ? true : undefined), 10_000, 100);
});
