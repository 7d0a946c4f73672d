/**
 * The docker runtime class against the real engine, for what the API-level tests cannot time: a host port
 * taken by someone else between deploy and start; the minimum run time a start proves (ended by the container's
 * `die`, not slept through); a crash after it; host ports chosen while another deploy's Docker read hangs.
 */
import net from 'node:net';
import { ContainerRuntime } from '../../activities/runtime/docker/container-runtime';
import { createDockerClient } from '../../activities/runtime/docker/docker-client';
import { FailureType } from '../../workflows/model/failures';
import { containersOf, inspectContainer, removeContainersOf } from '../support/docker-state';
import { startDockerSocketProxy } from '../support/docker-socket-proxy';
import { eventually } from '../support/eventually';
import { rejection } from '../support/rejection';
import { ensureExitingImage, ensureExitsLaterImage } from '../support/test-images';
import { refOf, workloadSpec } from '../support/workload-spec';

const SOCKET = 'unix:///var/run/docker.sock';
function containerRuntime(minRunMs: number, socket = SOCKET): ContainerRuntime {
  return new ContainerRuntime({
    docker: createDockerClient(socket, 30_000),
    pullDocker: createDockerClient(socket),
    socket,
    hostIp: '127.0.0.1',
    cimiUrl: null,
    compss: { port: 46100, dataclayEp: ':1034', network: 'not-defined' },
    minRunMs,
  });
}
const runtime = containerRuntime(1000);
const made: string[] = [];

afterAll(() => removeContainersOf(made));

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

test('a host port taken between deploy and start: the container is made again on a free port', async () => {
  const spec = workloadSpec({ exec_type: 'docker', exec_ports: [80] });
  made.push(spec.instanceUuid);
  const deployed = await runtime.deploy(spec);
  const [taken] = deployed.ports;
  const squatter = await listen(taken);
  try {
    const moved = await runtime.start(refOf(spec, deployed));
    if (!moved) throw new Error('start did not report the move');
    const now = moved;
    expect(now.ports[0]).not.toBe(taken);
    expect(now.container_id).not.toBe(deployed.container_id);
    const containers = await containersOf(spec.instanceUuid);
    expect(containers).toHaveLength(1);
    const info = await inspectContainer(now.container_id);
    expect(info.State.Running).toBe(true);
    const bindings = info.HostConfig.PortBindings as Record<string, Array<{ HostPort: string }>>;
    expect(Number(bindings['80/tcp'][0].HostPort)).toBe(now.ports[0]);
  } finally {
    squatter.close();
  }
});

test('a start that needs no move returns nothing, and a second deploy adopts the container', async () => {
  const spec = workloadSpec({ exec_type: 'docker', exec_ports: [80] });
  made.push(spec.instanceUuid);
  const deployed = await runtime.deploy(spec);
  expect(await runtime.start(refOf(spec, deployed))).toBeUndefined();
  expect(await runtime.deploy(spec)).toEqual(deployed);
  expect(await containersOf(spec.instanceUuid)).toHaveLength(1);
});

test('a start retried after a move it did not report finds the moved container by name and reports where it is', async () => {
  const spec = workloadSpec({ exec_type: 'docker', exec_ports: [80] });
  made.push(spec.instanceUuid);
  const first = await runtime.deploy(spec);
  // The move of an interrupted start: removed and made again, the new id never recorded.
  await runtime.remove(refOf(spec, first));
  const second = await runtime.deploy(spec);
  expect(second.container_id).not.toBe(first.container_id);
  const reported = await runtime.start(refOf(spec, first));
  expect(reported).toEqual({ container_id: second.container_id, ports: second.ports, agent_param: '-' });
  expect((await inspectContainer(second.container_id)).State.Running).toBe(true);
});

test('a container is made with its final restart policy, and a start proves the whole minimum run time', async () => {
  const slow = containerRuntime(1500);
  const spec = workloadSpec({ exec_type: 'docker' });
  made.push(spec.instanceUuid);
  const deployed = await slow.deploy(spec);
  expect((await inspectContainer(deployed.container_id)).HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
  const { ms } = await timed(() => slow.start(refOf(spec, deployed)));
  expect(ms).toBeGreaterThanOrEqual(1500);
  const info = await inspectContainer(deployed.container_id);
  expect(info.State.Running).toBe(true);
  expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
});

test('a command that fails at once ends the start at its death, with its exit code, and is left stopped', async () => {
  const patient = containerRuntime(20_000);
  const spec = workloadSpec({ exec_type: 'docker', exec: ensureExitingImage() });
  made.push(spec.instanceUuid);
  const deployed = await patient.deploy(spec);
  const { value: err, ms } = await timed(() => rejection(patient.start(refOf(spec, deployed))));
  expect(err).toMatchObject({
    type: FailureType.WorkloadExited,
    message: expect.stringMatching(/stopped right after start \(exit code 3/),
  });
  // The `die` ended the wait, not the 20 s window.
  expect(ms).toBeLessThan(10_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const info = await inspectContainer(deployed.container_id);
  expect(info.State.Running).toBe(false);
  expect(info.State.Restarting).toBe(false);
});

test('a container that crashes after its minimum run time is observed as error, though Docker restarts it', async () => {
  const quick = containerRuntime(300);
  const spec = workloadSpec({ exec_type: 'docker', exec: ensureExitsLaterImage() });
  made.push(spec.instanceUuid);
  const deployed = await quick.deploy(spec);
  await quick.start(refOf(spec, deployed));
  expect(await quick.observe(refOf(spec, deployed))).toBe('started');
  await eventually(
    'restarted by its policy',
    async () => ((await inspectContainer(deployed.container_id)).RestartCount > 0 ? true : undefined),
    20_000,
    200,
  );
  expect(await quick.observe(refOf(spec, deployed))).toBe('error');
  // Started again by the LM: the count starts over, and it is started until it crashes again.
  await quick.start(refOf(spec, deployed));
  expect((await inspectContainer(deployed.container_id)).RestartCount).toBe(0);
  expect(await quick.observe(refOf(spec, deployed))).toBe('started');
});

test('host ports are chosen while another deploy waits for its Docker listing: the lock covers only the choice', async () => {
  const proxy = await startDockerSocketProxy();
  try {
    const stuck = containerRuntime(0, proxy.url);
    const held = proxy.holdAnswerTo(/^GET \S*\/containers\/json/);
    // Its engine goes away at the end: the held deploy fails then, and leaves nothing behind.
    const hanging = stuck.deploy(workloadSpec({ exec_type: 'docker', exec_ports: [80] })).then(
      () => 'deployed',
      () => 'failed',
    );
    await held;
    const spec = workloadSpec({ exec_type: 'docker', exec_ports: [80] });
    made.push(spec.instanceUuid);
    const { value: deployed, ms } = await timed(() => containerRuntime(0).deploy(spec));
    expect(deployed.ports).toHaveLength(1);
    expect(ms).toBeLessThan(15_000);
    proxy.setDown(true);
    expect(await hanging).toBe('failed');
  } finally {
    await proxy.close();
  }
});
