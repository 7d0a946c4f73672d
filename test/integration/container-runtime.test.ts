/**
 * The docker runtime class against the real engine, for what the API-level tests cannot time: a host port
 * taken by someone else between deploy and start.
 */
import net from 'node:net';
import { ContainerRuntime } from '../../activities/runtime/docker/container-runtime';
import { createDockerClient } from '../../activities/runtime/docker/docker-client';
import { containersOf, inspectContainer, removeContainersOf } from '../support/docker-state';
import { refOf, workloadSpec } from '../support/workload-spec';

const SOCKET = 'unix:///var/run/docker.sock';
const runtime = new ContainerRuntime({
  docker: createDockerClient(SOCKET, 30_000),
  pullDocker: createDockerClient(SOCKET),
  socket: SOCKET,
  hostIp: '127.0.0.1',
  cimiUrl: null,
  compss: { port: 46100, dataclayEp: ':1034', network: 'not-defined' },
  onProgress: () => undefined,
});
const made: string[] = [];

afterAll(() => removeContainersOf(made));

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
