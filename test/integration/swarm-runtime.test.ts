/**
 * The docker-swarm runtime on a real single-node swarm: every step is checked on the Docker engine itself.
 * Ingress routing needs IPVS, which these machines lack, so published ports are checked on the service's endpoint.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { LABEL_INSTANCE } from '../../activities/runtime/labels';
import { SwarmRuntime } from '../../activities/runtime/swarm/swarm-runtime';
import { allocateHostPorts } from '../../activities/runtime/docker/allocate-host-ports';
import { replicasOf } from '../../activities/runtime/swarm/swarm-api-types';
import { createDockerClient } from '../../activities/runtime/docker/docker-client';
import { FailureType } from '../../workflows/model/failures';
import { docker } from '../support/docker-state';
import { useSwarm, type SwarmLease } from '../support/swarm';
import { inspectService, removeServicesOf, runningContainersOf, serviceContainers, servicesOf, untilRunning } from '../support/swarm-state';
import { ensureExitingImage } from '../support/test-images';
import { eventually } from '../support/eventually';
import { rejection } from '../support/rejection';
import { refOf, workloadSpec } from '../support/workload-spec';

const SOCKET = 'unix:///var/run/docker.sock';
let lease: SwarmLease;
let runtime: SwarmRuntime;
const made: string[] = [];
const foreign: string[] = [];
const containers: string[] = [];

beforeAll(() => {
  lease = useSwarm();
  runtime = new SwarmRuntime({ docker, socket: SOCKET, startTimeoutMs: 60_000, stopTimeoutMs: 60_000, pollMs: 250 });
});

afterAll(async () => {
  await removeServicesOf(made);
  for (const name of foreign)
    await docker
      .getService(name)
      .remove()
      .catch(() => undefined);
  for (const id of containers)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  lease?.release();
});

function swarmSpec(service: Parameters<typeof workloadSpec>[0]) {
  const spec = workloadSpec(service);
  made.push(spec.instanceUuid);
  return spec;
}

test('deploy, start, stop, start, remove: each step is what Docker shows', async () => {
  const spec = swarmSpec({ exec_type: 'docker-swarm', exec_ports: [80, 10090], num_agents: 2 });

  const deployed = await runtime.deploy(spec);
  const ref = refOf(spec, deployed);
  let service = await inspectService(spec.name);
  expect(service?.ID).toBe(deployed.container_id);
  expect(service && replicasOf(service)).toBe(0);
  expect(service?.Spec.Labels).toMatchObject({ [LABEL_INSTANCE]: spec.instanceUuid, 'lm.agent': '127.0.0.1', 'lm.replicas': '2' });
  expect(await serviceContainers(deployed.container_id)).toHaveLength(0);
  expect(await runtime.observe(ref)).toBe('waiting');

  // Port rule: 80 is remapped from 20001 up; 10090 is kept; Docker publishes exactly that (ingress).
  expect(deployed.ports[0]).toBeGreaterThanOrEqual(20001);
  expect(deployed.ports[1]).toBe(10090);
  // The swarm allocator fills in the endpoint shortly after creation.
  const endpoint = await eventually('the service endpoint', async () => (await inspectService(spec.name))?.Endpoint?.Ports);
  expect(endpoint).toEqual([
    expect.objectContaining({ TargetPort: 80, PublishedPort: deployed.ports[0], PublishMode: 'ingress' }),
    expect.objectContaining({ TargetPort: 10090, PublishedPort: 10090, PublishMode: 'ingress' }),
  ]);

  await runtime.start(ref);
  expect(await runningContainersOf(deployed.container_id)).toBe(2);
  service = await inspectService(deployed.container_id);
  expect(service && replicasOf(service)).toBe(2);
  expect(await runtime.observe(ref)).toBe('started');
  // A retried start changes nothing.
  const version = service?.Version.Index;
  await runtime.start(ref);
  expect((await inspectService(deployed.container_id))?.Version.Index).toBe(version);

  await runtime.stop(ref);
  expect(await runningContainersOf(deployed.container_id)).toBe(0);
  expect(await runtime.observe(ref)).toBe('stopped');
  await runtime.stop(ref);

  await runtime.start(ref);
  expect(await runningContainersOf(deployed.container_id)).toBe(2);

  await runtime.remove(ref);
  expect(await inspectService(deployed.container_id)).toBeNull();
  expect(await serviceContainers(deployed.container_id)).toHaveLength(0);
  await runtime.remove(ref);
  expect(await runtime.observe(ref)).toBe('error');
  const missing = await rejection(runtime.start(ref));
  expect(missing.type).toBe(FailureType.WorkloadMissing);
});

test('deploy twice makes one service: the second deploy adopts the first', async () => {
  const spec = swarmSpec({ exec_type: 'docker-swarm', exec_ports: [80] });
  const first = await runtime.deploy(spec);
  const again = await runtime.deploy(spec);
  expect(again).toEqual(first);
  const services = await servicesOf(spec.instanceUuid);
  expect(services.map((s) => s.ID)).toEqual([first.container_id]);
  // Unspecified num_agents (-1) means one replica.
  await runtime.start(refOf(spec, again));
  await untilRunning(first.container_id, 1, 5_000);
});

test('concurrent deploys of one spec still make one service', async () => {
  const spec = swarmSpec({ exec_type: 'docker-swarm' });
  const results = await Promise.all([runtime.deploy(spec), runtime.deploy(spec), runtime.deploy(spec)]);
  expect(new Set(results.map((r) => r.container_id)).size).toBe(1);
  expect(await servicesOf(spec.instanceUuid)).toHaveLength(1);
});

test('published ports avoid ports of other swarm services and of containers', async () => {
  const first = await runtime.deploy(swarmSpec({ exec_type: 'docker-swarm', exec_ports: [80] }));
  // The port the rule would pick next; a container takes it, so the next service must skip it.
  const [{ host: predicted }] = await allocateHostPorts(docker, [80]);
  expect(predicted).not.toBe(first.ports[0]);
  const squatter = await docker.createContainer({
    Image: 'lm-test/busybox:latest',
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(predicted) }] } },
  });
  containers.push(squatter.id);
  await squatter.start();

  const second = await runtime.deploy(swarmSpec({ exec_type: 'docker-swarm', exec_ports: [80] }));
  expect(second.ports[0]).toBeGreaterThanOrEqual(20001);
  expect(second.ports[0]).not.toBe(first.ports[0]);
  expect(second.ports[0]).not.toBe(predicted);
});

test('a missing image: start fails for good with the engine\'s "No such image", and nothing keeps retrying', async () => {
  const spec = swarmSpec({ exec_type: 'docker-swarm', exec: 'lm-test/not-here:1.0' });
  const deployed = await runtime.deploy(spec);
  const err = await rejection(runtime.start(refOf(spec, deployed)));
  expect(err.type).toBe(FailureType.ImageNotFound);
  expect(err.nonRetryable).toBe(true);
  expect(err.message).toContain('No such image: lm-test/not-here:1.0');
  expect(err.message).toContain(spec.name);
  const service = await inspectService(deployed.container_id);
  expect(service && replicasOf(service)).toBe(0);
});

test('a command that exits at once: start fails for good with its exit code', async () => {
  const spec = swarmSpec({ exec_type: 'docker-swarm', exec: ensureExitingImage() });
  const deployed = await runtime.deploy(spec);
  const err = await rejection(runtime.start(refOf(spec, deployed)));
  expect(err.type).toBe(FailureType.WorkloadExited);
  expect(err.nonRetryable).toBe(true);
  expect(err.message).toContain('exit code 3');
  expect(await runningContainersOf(deployed.container_id)).toBe(0);
});

test('a same-named service that is not ours is not adopted', async () => {
  const spec = swarmSpec({ exec_type: 'docker-swarm' });
  foreign.push(spec.name);
  await docker.createService({
    Name: spec.name,
    TaskTemplate: { ContainerSpec: { Image: 'lm-test/busybox:latest' } },
    Mode: { Replicated: { Replicas: 0 } },
  });
  const err = await rejection(runtime.deploy(spec));
  expect(err.type).toBe(FailureType.InvalidSpec);
  expect(err.nonRetryable).toBe(true);
  expect(err.message).toContain(`docker service rm ${spec.name}`);
});

describe('an engine that is not a swarm manager', () => {
  let server: Server;
  let notManager: SwarmRuntime;

  beforeAll(async () => {
    // Answers as a Docker engine outside any swarm does (Engine API: /info, and 503 on service calls).
    const app = express();
    app.get(
      '/info',
      (_req, res) => void res.json({ ServerVersion: '20.10.24', Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } }),
    );
    app.use((_req, res) => {
      res.status(503).json({
        message:
          'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
      });
    });
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const socket = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
    notManager = new SwarmRuntime({ docker: createDockerClient(socket, 5_000), socket });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('deploy is refused for good and says how to fix it', async () => {
    const spec = workloadSpec({ exec_type: 'docker-swarm' });
    const err = await rejection(notManager.deploy(spec));
    expect(err.type).toBe(FailureType.NotSupported);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('not in a swarm');
    expect(err.message).toContain('docker swarm init');
  });

  test('operations on an existing service are refused the same way', async () => {
    const spec = workloadSpec({ exec_type: 'docker-swarm' });
    const err = await rejection(notManager.start(refOf(spec, { container_id: 'abc', ports: [], agent_param: '-' })));
    expect(err.type).toBe(FailureType.NotSupported);
    expect(err.message).toContain('not a swarm manager');
  });
});
