/**
 * The reaper (real Temporal, real Docker and swarm, the fake Kubernetes API, in-process LM): instances
 * terminated from the Temporal CLI, as the Web UI does (no workflow code runs), lose their workloads on every
 * runtime within LM_SWEEP_INTERVAL_S + LM_REAP_GRACE_S; a running instance, a workload of another cluster, one
 * without the cluster label and one still in its grace period are left alone.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { COMPOSE_PROJECT_LABEL } from '../../activities/runtime/compose/compose-containers';
import { STACK_NAMESPACE_LABEL } from '../../activities/runtime/compose-swarm/stack-state';
import { instanceIdOf, uuidOf, type ServiceInstance } from '../../workflows/model/instance';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../fakes/kubernetes-api';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { containersOf, docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { useSwarm, type SwarmLease } from '../support/swarm';
import { removeServicesOf, servicesOf } from '../support/swarm-state';
import { temporalBinary } from '../support/temporal-binary';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { withoutKubeconfig } from '../support/without-kubeconfig';

const INTERVAL_S = 1;
const GRACE_S = 6;
const NAMESPACE = 'lm-reaper';
let lease: SwarmLease;
let files: ComposeFileServer;
let fake: FakeKubernetesApi;
let workingDir: string;
let lm: LmHarness;
let clusterId: string;
const made: string[] = [];
const planted: string[] = [];

beforeAll(async () => {
  lease = useSwarm();
  files = await startComposeFileServer();
  fake = await startFakeKubernetesApi({ namespaces: [NAMESPACE], readyDelayMs: 100 });
  workingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-reaper-'));
  lm = await withoutKubeconfig(() =>
    startLm({
      LM_SWEEP_INTERVAL_S: String(INTERVAL_S),
      LM_REAP_GRACE_S: String(GRACE_S),
      WORKING_DIR_VOLUME: workingDir,
      K8S_PROXY: fake.url,
      K8S_NAMESPACE: NAMESPACE,
      K8S_MASTER: 'true',
    }),
  );
  clusterId = (await lm.client.workflowService.getClusterInfo({})).clusterId ?? '';
});

afterAll(async () => {
  for (const id of planted)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  await removeServicesOf(made);
  await lm?.stop();
  await fake?.close();
  await files?.close();
  fs.rmSync(workingDir, { recursive: true, force: true });
  lease?.release();
});

async function submitted(service: Record<string, unknown>): Promise<ServiceInstance> {
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name: 'reaped', exec: BUSYBOX_IMAGE, exec_ports: [], ...service },
  });
  expect(response.status).toBe(200);
  const instance = response.data.service_instance as ServiceInstance;
  made.push(uuidOf(instance.id));
  lm.made.push(uuidOf(instance.id));
  expect(instance.status).toBe('started');
  return instance;
}

/** As the Web UI's Terminate: the server closes the run, no workflow code runs. */
function terminateFromCli(uuid: string): void {
  const result = spawnSync(
    temporalBinary(),
    ['workflow', 'terminate', '--workflow-id', instanceIdOf(uuid), '--reason', 'reaper test', '--address', lm.config.temporal.address],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`temporal workflow terminate failed: ${result.stderr}`);
}

const projectContainers = (project: string): Promise<Docker.ContainerInfo[]> =>
  docker.listContainers({ all: true, filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] } });
const stackServices = (stack: string): Promise<Docker.Service[]> =>
  docker.listServices({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${stack}`] } });

/** A container with LM labels for a random instance (no workflow), `extra` saying whose cluster it is. */
async function plant(extra: Record<string, string>): Promise<string> {
  const container = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Labels: { 'lm.service-instance': randomUUID(), 'lm.agent': '127.0.0.1', 'lm.agent-index': '0', 'lm.exec-type': 'docker', ...extra },
  });
  planted.push(container.id);
  return container.id;
}

async function exists(id: string): Promise<boolean> {
  return docker
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

test('instances terminated from the Temporal CLI lose their workloads on every runtime; a running one keeps its own', async () => {
  const running = await submitted({ exec_type: 'docker' });
  const url = files.put('reaped.yml', `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n`);
  const instances = [
    await submitted({ exec_type: 'docker' }),
    await submitted({ exec_type: 'docker-compose', exec: url }),
    await submitted({ exec_type: 'docker-swarm' }),
    await submitted({ exec_type: 'docker-compose-swarm', exec: url }),
    await submitted({ exec_type: 'kubernetes' }),
  ];
  const [container, compose, swarm, stack] = instances.map((instance) => uuidOf(instance.id));
  expect(await containersOf(container)).toHaveLength(1);
  expect(await projectContainers(`lm-${compose}`)).toHaveLength(1);
  expect(await servicesOf(swarm)).toHaveLength(1);
  expect(await stackServices(`lm-${stack}`)).toHaveLength(1);
  expect(fake.object('deployments', NAMESPACE, instances[4].agents[0].name)).toBeDefined();

  const terminatedAt = Date.now();
  for (const instance of instances) terminateFromCli(uuidOf(instance.id));
  await eventually(
    'every workload of the terminated instances removed',
    async () => {
      const left = [
        (await containersOf(container)).length,
        (await projectContainers(`lm-${compose}`)).length,
        (await servicesOf(swarm)).length,
        (await stackServices(`lm-${stack}`)).length,
        fake.object('deployments', NAMESPACE, instances[4].agents[0].name) === undefined ? 0 : 1,
      ];
      return left.every((n) => n === 0) ? true : undefined;
    },
    90_000,
    500,
  );
  // Their workloads were older than the grace period: at most a sweep or two, plus the removals themselves.
  expect(Date.now() - terminatedAt).toBeLessThan((INTERVAL_S + GRACE_S) * 1000 + 30_000);
  expect(fs.existsSync(path.join(workingDir, `lm-${compose}`))).toBe(false);
  // The instance whose workflow runs keeps its container.
  expect(await containersOf(uuidOf(running.id))).toHaveLength(1);
}, 240_000);

test('a workload of another cluster, one without the cluster label and one in its grace period are untouched', async () => {
  const otherCluster = await plant({ 'lm.cluster': randomUUID(), 'lm.namespace': lm.config.temporal.namespace });
  const otherNamespace = await plant({ 'lm.cluster': clusterId, 'lm.namespace': 'elsewhere' });
  const unlabelled = await plant({});
  const peer = await plant({ 'lm.peer-instance': 'true' });
  const young = await plant({ 'lm.cluster': clusterId, 'lm.namespace': lm.config.temporal.namespace });
  const plantedAt = Date.now();

  // Several sweeps inside the grace period: the young orphan stays.
  await new Promise((resolve) => setTimeout(resolve, (GRACE_S - 2) * 1000));
  expect(await exists(young)).toBe(true);
  // Once older than the grace period it is reaped: it is an orphan of this cluster.
  await eventually('the orphan reaped after its grace period', async () => ((await exists(young)) ? undefined : true), 30_000, 250);
  expect(Date.now() - plantedAt).toBeGreaterThanOrEqual(GRACE_S * 1000 - 1500);
  // Several sweeps later, none of the others was touched.
  await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_S * 1000));
  for (const id of [otherCluster, otherNamespace, unlabelled, peer]) expect(await exists(id)).toBe(true);
}, 60_000);
