/**
 * The docker-compose runtime against the real Docker engine and the real compose CLI: every step is checked on
 * Docker itself (containers of the project, their state, labels, networks) and on the instance directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { ComposeRuntime } from '../../activities/runtime/compose/compose-runtime';
import { composeProjectName } from '../../activities/runtime/labels';
import { DEFAULT_COMPOSE_FETCH_LIMITS } from '../../activities/runtime/compose/fetch-compose-file';
import { sweepComposeProject } from '../../activities/runtime/compose/sweep-compose-project';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';
import type { WorkloadSpec } from '../../activities/runtime/workload';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { docker } from '../support/docker-state';
import { freePort } from '../support/free-port';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { refOf, workloadSpec } from '../support/workload-spec';

const SOCKET = 'unix:///var/run/docker.sock';
let server: ComposeFileServer;
let workingDir: string;
let runtime: ComposeRuntime;
const projects: string[] = [];

function composeRuntime(allowPrivileged = false): ComposeRuntime {
  return new ComposeRuntime({
    docker,
    pullDocker: docker,
    socket: SOCKET,
    workingDir,
    allowPrivileged,
    fetchLimits: { ...DEFAULT_COMPOSE_FETCH_LIMITS, timeoutMs: 5_000 },
    composeHttpTimeoutS: 60,
  });
}

function composeSpec(url: string): WorkloadSpec {
  const spec = workloadSpec({ exec: url, exec_type: 'docker-compose', name: 'compose-app' });
  projects.push(composeProjectName(spec));
  return spec;
}

async function containersOfProject(project: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
}

async function statesOf(project: string): Promise<Record<string, string>> {
  const states: Record<string, string> = {};
  for (const c of await containersOfProject(project)) states[c.Labels['com.docker.compose.service']] = c.State;
  return states;
}

/** Two long-running services; `web` publishes container port 80 on `hostPort` when given. */
function twoServices(hostPort?: number): string {
  const ports = hostPort === undefined ? '' : `    ports:\n      - "${hostPort}:80"\n`;
  return `version: "3.8"\nservices:\n  web:\n    image: ${BUSYBOX_IMAGE}\n${ports}  worker:\n    image: ${BUSYBOX_IMAGE}\n    volumes:\n      - ./data:/data\n`;
}

beforeAll(async () => {
  server = await startComposeFileServer();
  workingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-compose-it-'));
  runtime = composeRuntime();
});

afterAll(async () => {
  for (const project of projects) await sweepComposeProject(docker, project, SOCKET).catch(() => undefined);
  fs.rmSync(workingDir, { recursive: true, force: true });
  await server.close();
});

test('deploy creates without starting; start, stop, start and remove act on the real containers', async () => {
  const hostPort = await freePort();
  const spec = composeSpec(server.put('lifecycle.yml', twoServices(hostPort)));
  const project = composeProjectName(spec);
  expect(project).toBe(`lm-${spec.instanceUuid}`);

  const deployed = await runtime.deploy(spec);
  const dir = path.join(workingDir, project);
  expect(deployed).toEqual({ container_id: project, ports: [hostPort], agent_param: dir });
  expect(fs.readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8')).toBe(twoServices(hostPort));
  expect(await statesOf(project)).toEqual({ web: 'created', worker: 'created' });
  const [one] = await containersOfProject(project);
  expect(one.Labels[LABEL_INSTANCE]).toBe(spec.instanceUuid);
  const ref = refOf(spec, deployed);
  expect(await runtime.observe(ref)).toBe('waiting');

  await runtime.start(ref);
  expect(await statesOf(project)).toEqual({ web: 'running', worker: 'running' });
  expect(await runtime.observe(ref)).toBe('started');
  expect(await (await fetch(`http://127.0.0.1:${hostPort}/`)).text()).toBe('lm-test\n');
  // The relative bind mount landed inside the instance directory.
  expect(fs.existsSync(path.join(dir, 'data'))).toBe(true);

  await runtime.stop(ref);
  expect(await statesOf(project)).toEqual({ web: 'exited', worker: 'exited' });
  expect(await runtime.observe(ref)).toBe('stopped');
  await runtime.stop(ref); // a retried stop is harmless
  expect(await runtime.observe(ref)).toBe('stopped');

  await runtime.start(ref);
  await runtime.start(ref); // a retried start is harmless
  expect(await statesOf(project)).toEqual({ web: 'running', worker: 'running' });

  await runtime.remove(ref);
  expect(await containersOfProject(project)).toEqual([]);
  expect(await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${project}`] } })).toEqual([]);
  expect(fs.existsSync(dir)).toBe(false);
  await runtime.remove(ref); // a missing project is not an error
  expect(await runtime.observe(ref)).toBe('error');
});

test('after an engine that stayed up: running is running, stopped by hand is not taken for left by a restart', async () => {
  const spec = composeSpec(server.put('not-left.yml', twoServices()));
  const project = composeProjectName(spec);
  const ref = refOf(spec, await runtime.deploy(spec));
  await runtime.start(ref);
  expect(await runtime.startIfLeftByEngineRestart(ref)).toEqual({ outcome: 'running' });
  for (const c of await containersOfProject(project)) await docker.getContainer(c.Id).stop({ t: 1 });
  expect(await runtime.startIfLeftByEngineRestart(ref)).toEqual({ outcome: 'not-left' });
  expect(await statesOf(project)).toEqual({ web: 'exited', worker: 'exited' });
  await runtime.remove(ref);
});

test('a retried deploy adopts the first one: one project, the file fetched once', async () => {
  const url = server.put('idempotent.yml', twoServices());
  const spec = composeSpec(url);
  const first = await runtime.deploy(spec);
  const ids = (await containersOfProject(first.container_id)).map((c) => c.Id).sort();
  const second = await runtime.deploy(spec);
  expect(second).toEqual(first);
  expect((await containersOfProject(first.container_id)).map((c) => c.Id).sort()).toEqual(ids);
  expect(ids).toHaveLength(2);
  expect(server.hits('idempotent.yml')).toBe(1);
  await runtime.remove(refOf(spec, first));
});

test('two instances of one compose file never touch each other', async () => {
  const url = server.put('shared.yml', twoServices());
  const a = composeSpec(url);
  const b = composeSpec(url);
  const refA = refOf(a, await runtime.deploy(a));
  const refB = refOf(b, await runtime.deploy(b));
  expect(refA.agent_param).not.toBe(refB.agent_param);
  await runtime.start(refA);
  await runtime.start(refB);

  await runtime.stop(refA);
  expect(await statesOf(refA.container_id)).toEqual({ web: 'exited', worker: 'exited' });
  expect(await statesOf(refB.container_id)).toEqual({ web: 'running', worker: 'running' });

  await runtime.remove(refA);
  expect(await containersOfProject(refA.container_id)).toEqual([]);
  expect(await statesOf(refB.container_id)).toEqual({ web: 'running', worker: 'running' });
  expect(fs.existsSync(refB.agent_param)).toBe(true);
  await runtime.remove(refB);
});

test('a fixed container_name makes a second instance fail for good, without touching the first', async () => {
  const fixed = `lm-test-fixed-${Date.now()}`;
  const url = server.put('named.yml', `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n    container_name: ${fixed}\n`);
  const a = composeSpec(url);
  const b = composeSpec(url);
  const refA = refOf(a, await runtime.deploy(a));
  await expect(runtime.deploy(b)).rejects.toMatchObject({
    type: 'InvalidSpec',
    nonRetryable: true,
    message: expect.stringMatching(/already in use/),
  });
  // b's cleanup went by b's project label: a's container is still there, b's directory is gone.
  expect(await statesOf(refA.container_id)).toEqual({ web: 'created' });
  expect(fs.existsSync(path.join(workingDir, composeProjectName(b)))).toBe(false);
  await runtime.remove(refA);
});

test('a privileged service is refused for good, naming the service, the key and the line; nothing is left behind', async () => {
  const spec = composeSpec(
    server.put(
      'privileged.yml',
      `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n  root:\n    image: ${BUSYBOX_IMAGE}\n    privileged: true\n`,
    ),
  );
  await expect(runtime.deploy(spec)).rejects.toMatchObject({
    type: 'InvalidSpec',
    nonRetryable: true,
    message: expect.stringMatching(/service "root", privileged \(line 6\).*LM_ALLOW_PRIVILEGED/),
  });
  expect(fs.existsSync(path.join(workingDir, composeProjectName(spec)))).toBe(false);
  expect(await containersOfProject(composeProjectName(spec))).toEqual([]);
});

test('LM_ALLOW_PRIVILEGED=true lets the same file through', async () => {
  const spec = composeSpec(server.put('privileged-ok.yml', `services:\n  root:\n    image: ${BUSYBOX_IMAGE}\n    privileged: true\n`));
  const lenient = composeRuntime(true);
  const deployed = await lenient.deploy(spec);
  const [container] = await containersOfProject(deployed.container_id);
  expect((await docker.getContainer(container.Id).inspect()).HostConfig.Privileged).toBe(true);
  await lenient.remove(refOf(spec, deployed));
});

test('fetch failures are classified: 404 for good, 503 retried', async () => {
  await expect(runtime.deploy(composeSpec(`${server.baseUrl}/files/nope.yml`))).rejects.toMatchObject({
    type: 'InvalidSpec',
    nonRetryable: true,
    message: expect.stringMatching(/nope\.yml answered HTTP 404/),
  });
  await expect(runtime.deploy(composeSpec(`${server.baseUrl}/status/503`))).rejects.toMatchObject({
    type: 'PeerUnavailable',
    nonRetryable: false,
  });
});

test('invalid YAML is refused for good with its line', async () => {
  await expect(runtime.deploy(composeSpec(server.put('broken.yml', 'services:\n  web:\n    image: [oops\n')))).rejects.toMatchObject({
    type: 'InvalidSpec',
    nonRetryable: true,
    message: expect.stringMatching(/invalid YAML/),
  });
});

test('a missing image fails the deploy for good and cleans up', async () => {
  const spec = composeSpec(server.put('no-image.yml', 'services:\n  web:\n    image: lm-test/does-not-exist:1\n'));
  await expect(runtime.deploy(spec)).rejects.toMatchObject({ type: 'ImageNotFound', nonRetryable: true });
  expect(fs.existsSync(path.join(workingDir, composeProjectName(spec)))).toBe(false);
});

test('a service that dies at start fails the start with its name', async () => {
  const spec = composeSpec(
    server.put('dies.yml', `services:\n  crash:\n    image: ${BUSYBOX_IMAGE}\n    command: ["sh", "-c", "exit 3"]\n`),
  );
  const ref = refOf(spec, await runtime.deploy(spec));
  // `up -d` returns before the container's shell has exited: retry the check like the workflow would.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await runtime.start(ref);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } catch (err) {
      lastError = err;
      break;
    }
  }
  expect(lastError).toMatchObject({ type: 'WorkloadExited', message: expect.stringMatching(/crash \(Exited \(3\)/) });
  expect(await runtime.observe(ref)).toBe('stopped');
  await runtime.remove(ref);
});

test('start without the compose files reports the workload missing; remove still cleans the containers', async () => {
  const spec = composeSpec(server.put('orphan.yml', twoServices()));
  const ref = refOf(spec, await runtime.deploy(spec));
  await runtime.start(ref);
  fs.rmSync(ref.agent_param, { recursive: true, force: true });
  await expect(runtime.start(ref)).rejects.toMatchObject({ type: 'WorkloadMissing', nonRetryable: true });
  await runtime.remove(ref);
  expect(await containersOfProject(ref.container_id)).toEqual([]);
});
