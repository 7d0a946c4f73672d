/**
 * The docker-compose-swarm runtime on a real single-node swarm: deploy makes the stack at 0 replicas, start and
 * stop scale it (the stack stays: the original deleted it on stop, bug C3), remove takes it away. Every step is
 * checked on the engine (services, replicas, running task containers, networks) and on the instance directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { ComposeStackRuntime } from '../../activities/runtime/compose-swarm/compose-stack-runtime';
import { removeLeftoverNetworks, STACK_NAMESPACE_LABEL } from '../../activities/runtime/compose-swarm/stack-state';
import { NOT_A_MANAGER, requireSwarmManager } from '../../activities/runtime/compose-swarm/swarm-manager';
import { composeProjectName } from '../../activities/runtime/labels';
import { DEFAULT_COMPOSE_FETCH_LIMITS } from '../../activities/runtime/compose/fetch-compose-file';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';
import type { WorkloadSpec } from '../../activities/runtime/workload';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { useSwarm, type SwarmLease } from '../support/swarm';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { refOf, workloadSpec } from '../support/workload-spec';

const SOCKET = 'unix:///var/run/docker.sock';
let lease: SwarmLease;
let server: ComposeFileServer;
let workingDir: string;
let runtime: ComposeStackRuntime;
const stacks: string[] = [];

const STACK_FILE = `version: "3.8"\nservices:\n  web:\n    image: ${BUSYBOX_IMAGE}\n    deploy:\n      replicas: 2\n  worker:\n    image: ${BUSYBOX_IMAGE}\n`;

function stackSpec(url: string): WorkloadSpec {
  const spec = workloadSpec({ exec: url, exec_type: 'docker-compose-swarm', name: 'stack-app' });
  stacks.push(composeProjectName(spec));
  return spec;
}

async function servicesOfStack(stack: string): Promise<Docker.Service[]> {
  return docker.listServices({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`] } });
}

async function networksOfStack(stack: string): Promise<Docker.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`] } });
}

/** Replicas each service of the stack is scaled to, by short service name. */
async function replicasOf(stack: string): Promise<Record<string, number>> {
  const replicas: Record<string, number> = {};
  for (const s of await servicesOfStack(stack))
    replicas[(s.Spec?.Name ?? '').replace(`${stack}_`, '')] = s.Spec?.Mode?.Replicated?.Replicas ?? -1;
  return replicas;
}

/** Running task containers of the stack, by short service name. */
async function runningOf(stack: string): Promise<Record<string, number>> {
  const running: Record<string, number> = {};
  const containers = await docker.listContainers({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`] } });
  for (const c of containers) {
    const name = (c.Labels['com.docker.swarm.service.name'] ?? '').replace(`${stack}_`, '');
    running[name] = (running[name] ?? 0) + 1;
  }
  return running;
}

async function removeStack(stack: string): Promise<void> {
  for (const s of await servicesOfStack(stack).catch(() => []))
    await docker
      .getService(s.ID)
      .remove()
      .catch(() => undefined);
  await eventually(
    `containers of ${stack} gone`,
    async () => (Object.keys(await runningOf(stack)).length === 0 ? true : undefined),
    60_000,
  ).catch(() => undefined);
  for (const n of await networksOfStack(stack).catch(() => []))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
}

beforeAll(async () => {
  lease = useSwarm();
  server = await startComposeFileServer();
  workingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-stack-it-'));
  runtime = new ComposeStackRuntime({
    docker,
    socket: SOCKET,
    workingDir,
    allowPrivileged: false,
    fetchLimits: { ...DEFAULT_COMPOSE_FETCH_LIMITS, timeoutMs: 5_000 },
    convergeTimeoutMs: 60_000,
  });
});

afterAll(async () => {
  for (const stack of stacks) await removeStack(stack);
  fs.rmSync(workingDir, { recursive: true, force: true });
  await server?.close();
  lease?.release();
});

test('deploy at 0 replicas; start scales up, stop scales to 0 and keeps the stack; remove takes it away', async () => {
  const spec = stackSpec(server.put('stack.yml', STACK_FILE));
  const stack = composeProjectName(spec);

  const deployed = await runtime.deploy(spec);
  expect(deployed).toEqual({ container_id: stack, ports: [], agent_param: path.join(workingDir, stack) });
  expect(await replicasOf(stack)).toEqual({ web: 0, worker: 0 });
  expect(await runningOf(stack)).toEqual({});
  const [service] = await servicesOfStack(stack);
  expect(service.Spec?.Labels?.[LABEL_INSTANCE]).toBe(spec.instanceUuid);
  const ref = refOf(spec, deployed);
  expect(await runtime.observe(ref)).toBe('waiting');

  await runtime.start(ref);
  expect(await replicasOf(stack)).toEqual({ web: 2, worker: 1 });
  await eventually('3 running task containers', async () => {
    const running = await runningOf(stack);
    return running.web === 2 && running.worker === 1 ? running : undefined;
  });
  expect(await runtime.observe(ref)).toBe('started');

  await runtime.stop(ref);
  expect(await replicasOf(stack)).toEqual({ web: 0, worker: 0 });
  await eventually('no running task container', async () => (Object.keys(await runningOf(stack)).length === 0 ? true : undefined));
  // Stop is not removal: the stack and its network stay, ready to start again.
  expect(await servicesOfStack(stack)).toHaveLength(2);
  expect(await networksOfStack(stack)).toHaveLength(1);
  expect(await runtime.observe(ref)).toBe('stopped');
  await runtime.stop(ref); // harmless when repeated

  await runtime.start(ref);
  await runtime.start(ref); // harmless when repeated
  expect(await replicasOf(stack)).toEqual({ web: 2, worker: 1 });
  expect(await runtime.observe(ref)).toBe('started');

  await runtime.remove(ref);
  expect(await servicesOfStack(stack)).toEqual([]);
  expect(await networksOfStack(stack)).toEqual([]);
  expect(fs.existsSync(ref.agent_param)).toBe(false);
  await runtime.remove(ref); // a missing stack is fine
  expect(await runtime.observe(ref)).toBe('error');
});

test('a network that `docker stack rm` left behind while a task held it is removed once the task lets go', async () => {
  // What `stack rm` leaves when a task container still holds the network: a labelled network, no service.
  const stack = `lm-leftover-${process.pid}`;
  const network = await docker.createNetwork({ Name: `${stack}_default`, Driver: 'bridge', Labels: { [STACK_NAMESPACE_LABEL]: stack } });
  const holder = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sleep', '600'],
    HostConfig: { NetworkMode: `${stack}_default` },
  });
  try {
    await holder.start();
    expect(await removeLeftoverNetworks(docker, stack, SOCKET)).toEqual([
      expect.stringMatching(new RegExp(`^${stack}_default \\(.*active endpoints`)),
    ]);
    expect(await networksOfStack(stack)).toHaveLength(1);

    await holder.remove({ force: true });
    expect(await removeLeftoverNetworks(docker, stack, SOCKET)).toEqual([]);
    expect(await networksOfStack(stack)).toEqual([]);
    expect(await removeLeftoverNetworks(docker, stack, SOCKET)).toEqual([]);
  } finally {
    await holder.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
  }
});

test('remove waits out a network of the stack held by a container, then removes it', async () => {
  const spec = stackSpec(server.put('stack-held.yml', STACK_FILE));
  const stack = composeProjectName(spec);
  const ref = refOf(spec, await runtime.deploy(spec));
  await runtime.start(ref);
  // A network of the stack held by a container: `stack rm` fails to remove it, as it does while a task holds one.
  await docker.createNetwork({ Name: `${stack}_held`, Driver: 'bridge', Labels: { [STACK_NAMESPACE_LABEL]: stack } });
  const holder = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sleep', '600'],
    HostConfig: { NetworkMode: `${stack}_held` },
  });
  try {
    await holder.start();
    setTimeout(() => void holder.remove({ force: true }).catch(() => undefined), 3_000);

    await runtime.remove(ref);
    expect(await servicesOfStack(stack)).toEqual([]);
    expect(await networksOfStack(stack)).toEqual([]);
  } finally {
    await holder.remove({ force: true }).catch(() => undefined);
  }
});

test('a retried deploy makes one stack, not two', async () => {
  const spec = stackSpec(server.put('stack-twice.yml', STACK_FILE));
  const first = await runtime.deploy(spec);
  const ids = (await servicesOfStack(first.container_id)).map((s) => s.ID).sort();
  expect(await runtime.deploy(spec)).toEqual(first);
  expect((await servicesOfStack(first.container_id)).map((s) => s.ID).sort()).toEqual(ids);
  expect(server.hits('stack-twice.yml')).toBe(1);
  await runtime.remove(refOf(spec, first));
});

test('two stacks of one compose file never touch each other', async () => {
  const url = server.put('stack-shared.yml', STACK_FILE);
  const a = stackSpec(url);
  const b = stackSpec(url);
  const refA = refOf(a, await runtime.deploy(a));
  const refB = refOf(b, await runtime.deploy(b));
  await runtime.start(refA);
  await runtime.start(refB);

  await runtime.stop(refA);
  expect(await replicasOf(refA.container_id)).toEqual({ web: 0, worker: 0 });
  expect(await replicasOf(refB.container_id)).toEqual({ web: 2, worker: 1 });
  expect(await runtime.observe(refB)).toBe('started');

  await runtime.remove(refA);
  expect(await servicesOfStack(refA.container_id)).toEqual([]);
  expect(await servicesOfStack(refB.container_id)).toHaveLength(2);
  expect(await runtime.observe(refB)).toBe('started');
  await runtime.remove(refB);
});

test("tasks that cannot run fail the start with the swarm's reason", async () => {
  const spec = stackSpec(server.put('stack-no-image.yml', 'version: "3.8"\nservices:\n  ghost:\n    image: lm-test/does-not-exist:1\n'));
  const ref = refOf(spec, await runtime.deploy(spec));
  await expect(runtime.start(ref)).rejects.toMatchObject({
    type: 'WorkloadExited',
    message: expect.stringMatching(/ghost: (rejected|failed)/),
  });
  await runtime.remove(ref);
  expect(await servicesOfStack(ref.container_id)).toEqual([]);
});

test('the compose policy and stack checks apply before anything is deployed', async () => {
  const privileged = stackSpec(server.put('stack-host.yml', `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n    network_mode: host\n`));
  await expect(runtime.deploy(privileged)).rejects.toMatchObject({
    type: 'InvalidSpec',
    nonRetryable: true,
    message: expect.stringMatching(/service "web", network_mode \(line 4\)/),
  });
  const global = stackSpec(
    server.put('stack-global.yml', `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n    deploy:\n      mode: global\n`),
  );
  await expect(runtime.deploy(global)).rejects.toMatchObject({ type: 'InvalidSpec', message: expect.stringMatching(/deploy\.mode/) });
  for (const spec of [privileged, global]) {
    expect(await servicesOfStack(composeProjectName(spec))).toEqual([]);
    expect(fs.existsSync(path.join(workingDir, composeProjectName(spec)))).toBe(false);
  }
});

test('outside a swarm manager the refusal says what to do', async () => {
  // The engine is a manager for this suite; an engine outside any swarm is stood in for by its docker info.
  const outside = { info: async () => ({ Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } }) } as unknown as Docker;
  await expect(requireSwarmManager(outside, SOCKET, '10.0.0.9')).rejects.toMatchObject({
    type: 'NotSupported',
    nonRetryable: true,
    message: expect.stringContaining(NOT_A_MANAGER),
  });
  await expect(requireSwarmManager(docker, SOCKET, '127.0.0.1')).resolves.toBeUndefined();
});
