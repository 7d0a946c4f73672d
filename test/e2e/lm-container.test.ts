/**
 * The LM run the way the original was, as a container: the image scripts/build-image.sh makes offline (base from
 * this machine's Node.js), given the Docker socket and pointed at this run's Temporal. It must deploy a workload on
 * the engine behind that socket, terminate it, and stop with its container: cleanly on docker stop, at once (and
 * non-zero) when one of its two processes dies.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import axios, { type AxiosInstance } from 'axios';
import { submit } from '../support/api-calls';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';
import { PROJECT_ROOT } from '../support/temporal-binary';
import { ensureBusyboxImage } from '../support/test-images';

const run = promisify(execFile);
const IMAGE = 'lifecycle-manager:test';
const TOKEN = 'lm-container-test-token';
const names: string[] = [];
let api: AxiosInstance;

async function docker(...args: string[]): Promise<string> {
  return (await run('docker', args, { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
}

/** Starts the LM's container on the host's network (its Temporal listens on loopback); returns its name. */
async function startLmContainer(port: number): Promise<string> {
  const name = `lm-container-test-${process.pid}-${names.length}`;
  names.push(name);
  await docker(
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    '-e',
    `TEMPORAL_ADDRESS=${process.env.LM_TEST_TEMPORAL_ADDRESS ?? ''}`,
    '-e',
    `LM_PORT=${port}`,
    '-e',
    `LM_API_TOKEN=${TOKEN}`,
    '-e',
    'HOST_IP=127.0.0.1',
    // The reaper would judge this run's other workloads by the cluster's labels: not this test's business.
    '-e',
    'LM_REAP_INTERVAL_S=0',
    IMAGE,
  );
  return name;
}

/** The container's output, stdout and stderr together. */
async function logsOf(name: string): Promise<string> {
  const { stdout, stderr } = await run('docker', ['logs', name], { maxBuffer: 16 * 1024 * 1024 });
  return stdout + stderr;
}

async function containerState(name: string): Promise<{ running: boolean; exitCode: number }> {
  const [running, exitCode] = (await docker('inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', name)).split(' ');
  return { running: running === 'true', exitCode: Number(exitCode) };
}

beforeAll(async () => {
  ensureBusyboxImage();
  // What a user runs: the build script, which makes the base offline when it is missing.
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const build = spawn('bash', [path.join(PROJECT_ROOT, 'scripts', 'build-image.sh')], {
      env: { ...process.env, LM_IMAGE: IMAGE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    build.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    build.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    build.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/build-image.sh failed (${code}):\n${output}`))));
  });
  const port = await freePort();
  await startLmContainer(port);
  api = axios.create({
    baseURL: `http://127.0.0.1:${port}`,
    headers: { Authorization: `Bearer ${TOKEN}` },
    validateStatus: () => true,
    timeout: 120_000,
  });
  await eventually(
    'the containerised LM answers',
    async () => ((await api.get('/api/v2').catch(() => null))?.status === 200 ? true : undefined),
    90_000,
    500,
  );
}, 900_000);

afterAll(async () => {
  for (const name of names) await docker('rm', '-f', name).catch(() => '');
}, 60_000);

test('the containerised LM deploys a container on the socket it was given, and terminates it', async () => {
  const { uuid, instance } = await submit(api, { name: 'from-the-lm-container' });
  expect(instance.status).toBe('started');
  const deployed = await docker('ps', '-q', '--filter', `label=lm.service-instance=${uuid}`);
  expect(deployed.split('\n').filter(Boolean)).toHaveLength(1);
  expect(await docker('inspect', '-f', '{{.State.Running}}', deployed)).toBe('true');

  const deleted = await api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(deleted.status).toBe(200);
  expect(await docker('ps', '-aq', '--filter', `label=lm.service-instance=${uuid}`)).toBe('');
});

test('docker stop ends both processes gracefully: the container exits 0 well within the stop timeout', async () => {
  const name = names[0];
  const started = Date.now();
  await docker('stop', '-t', '10', name);
  expect(Date.now() - started).toBeLessThan(9_000);
  expect(await containerState(name)).toEqual({ running: false, exitCode: 0 });
}, 30_000);

test('when one of its processes dies the container ends, non-zero, so a restart policy brings the whole LM back', async () => {
  const name = await startLmContainer(await freePort());
  await eventually(
    'the second container runs its API',
    async () => ((await logsOf(name).catch(() => '')).includes('LM API listening') ? true : undefined),
    90_000,
    500,
  );
  // The API process, by its host pid (docker top): the base's busybox has no pkill.
  const apiProcess = (await docker('top', name, '-o', 'pid,args')).split('\n').find((line) => line.includes('dist/api/main.js'));
  expect(apiProcess).toBeDefined();
  process.kill(Number(apiProcess?.trim().split(/\s+/)[0]), 'SIGKILL');
  await eventually('the container has ended', async () => ((await containerState(name)).running ? undefined : true), 20_000, 250);
  expect((await containerState(name)).exitCode).not.toBe(0);
  expect(await logsOf(name)).toContain('the LM api ended (SIGKILL); stopping the rest');
}, 120_000);
