/**
 * SIGKILL the worker process while instances of each non-container runtime are deploying, then start a new
 * worker: every instance reaches `started` with exactly one workload (compose project, swarm service, stack,
 * Kubernetes Deployment), and terminating removes it. The docker runtime has its own test (worker-crash).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { uuidOf } from '../../workflows/model/instance';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { useSwarm, type SwarmLease } from '../support/swarm';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../fakes/kubernetes-api';
import { getInstance } from '../support/api-calls';

const NAMESPACE = 'lm-crash';
const INSTANCES = 3;

let lm: LmHarness;
let worker: LmProcess | null = null;
let files: ComposeFileServer;
let kubernetes: FakeKubernetesApi;
let swarm: SwarmLease;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-runtime-crash-'));

const COMPOSE = `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n`;

interface RuntimeCase {
  execType: string;
  exec: () => string;
  /** How many workloads of the instance exist on the runtime right now. */
  count: (uuid: string) => Promise<number>;
}

const CASES: RuntimeCase[] = [
  {
    execType: 'docker-compose',
    exec: () => files.put('crash.yml', COMPOSE),
    count: async (uuid) =>
      (await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=lm-${uuid}`] } })).length,
  },
  {
    execType: 'docker-compose-swarm',
    exec: () => files.put('crash-stack.yml', `version: "3.8"\n${COMPOSE}`),
    count: async (uuid) => (await docker.listServices({ filters: { label: [`com.docker.stack.namespace=lm-${uuid}`] } })).length,
  },
  {
    execType: 'docker-swarm',
    exec: () => BUSYBOX_IMAGE,
    count: async (uuid) => (await docker.listServices({ filters: { label: [`lm.service-instance=${uuid}`] } })).length,
  },
  {
    execType: 'kubernetes',
    exec: () => BUSYBOX_IMAGE,
    count: async (uuid) => (kubernetes.object('deployments', NAMESPACE, `lm-${uuid}-0`) ? 1 : 0),
  },
];

const env = () => ({
  TEMPORAL_ADDRESS: lm.config.temporal.address,
  HOST_IP: lm.config.hostIp,
  STANDALONE_MODE: 'True',
  WORKING_DIR_VOLUME: path.join(dir, 'compose'),
  K8S_PROXY: kubernetes.url,
  K8S_NAMESPACE: NAMESPACE,
  // No kubeconfig of this machine may win over K8S_PROXY.
  HOME: dir,
  KUBECONFIG: '',
});

beforeAll(async () => {
  swarm = useSwarm();
  files = await startComposeFileServer();
  kubernetes = await startFakeKubernetesApi({ namespaces: [NAMESPACE], readyDelayMs: 200 });
  lm = await startLm({}, { workers: false });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await lm?.stop();
  await files?.close();
  await kubernetes?.close();
  swarm?.release();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(CASES)('$execType', ({ execType, exec, count }) => {
  test('a worker killed mid-deploy: every instance started, with exactly one workload each', async () => {
    worker = startWorkerProcess(env());
    const responses = await Promise.all(
      Array.from({ length: INSTANCES }, (_, i) =>
        lm.api.post('/api/v2/lm/service', { service: { name: `crash-${i}`, exec: exec(), exec_type: execType } }),
      ),
    );
    for (const response of responses) expect(response.status).toBe(200);
    const uuids = responses.map((r) => uuidOf(r.data.service_instance.id as string));

    await eventually(
      'a first workload',
      async () => ((await Promise.all(uuids.map(count))).some((n) => n > 0) ? true : undefined),
      120_000,
      50,
    );
    await worker.kill('SIGKILL');
    worker = startWorkerProcess(env());

    let last: string[] = [];
    await eventually(
      'all instances started',
      async () => {
        const instances = await Promise.all(uuids.map((uuid) => getInstance(lm.api, uuid)));
        last = instances.map((i) => `${i.status}${i.error ? ` (${i.error})` : ''}`);
        return instances.every((i) => i.status === 'started') ? true : undefined;
      },
      240_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nstatuses: ${last.join(', ')}\nworker output:\n${worker?.output().slice(-3000)}`);
    });
    for (const uuid of uuids) expect(await count(uuid)).toBe(1);

    for (const uuid of uuids) {
      const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      expect(terminated.data.service_instance.status).toBe('terminated');
    }
    await eventually(
      'every workload gone',
      async () => ((await Promise.all(uuids.map(count))).every((n) => n === 0) ? true : undefined),
      120_000,
    );
    await worker.kill('SIGTERM');
    worker = null;
  }, 600_000);
});
