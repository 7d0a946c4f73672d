/**
 * The kubernetes runtime through the real @kubernetes/client-node against the fake Kubernetes API server
 * (no cluster can run on these machines): the exact calls and bodies, adoption, and every failure class.
 */
import { KubernetesRuntime, type KubernetesRuntimeOptions } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import type { WorkloadSpec } from '../../activities/runtime/workload';
import { FailureType } from '../../workflows/model/failures';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../fakes/kubernetes-api';
import { forbidden } from '../fakes/kubernetes-status';
import { DEPLOYMENTS, SERVICES } from '../fakes/kubernetes-store';
import { eventually } from '../support/eventually';
import { rejection } from '../support/rejection';
import { refOf, workloadSpec } from '../support/workload-spec';

let fake: FakeKubernetesApi;

beforeEach(async () => {
  fake = await startFakeKubernetesApi({ readyDelayMs: 20 });
});

afterEach(async () => {
  await fake.close();
});

function runtimeFor(overrides: Partial<KubernetesRuntimeOptions> = {}): KubernetesRuntime {
  return new KubernetesRuntime({
    connection: { kind: 'proxy', url: fake.url },
    namespace: 'default',
    requestTimeoutMs: 2_000,
    startTimeoutMs: 3_000,
    stopTimeoutMs: 3_000,
    pollMs: 25,
    ...overrides,
  });
}

function k8sSpec(overrides: Parameters<typeof workloadSpec>[0] = { exec_type: 'kubernetes' }, agent?: string): WorkloadSpec {
  return workloadSpec({ exec: 'nginx:1.27', ...overrides }, agent);
}

const DEPLOYMENTS_PATH = '/apis/apps/v1/namespaces/default/deployments';
const SERVICES_PATH = '/api/v1/namespaces/default/services';
const calls = () => fake.calls().map((call) => `${call.method} ${call.path}`);

test('deploy creates a Deployment with 0 replicas and a NodePort Service: the exact bodies', async () => {
  const spec = k8sSpec({ exec_type: 'kubernetes', exec_ports: [80, 8080], num_agents: 2 });
  const deployed = await runtimeFor().deploy(spec);

  expect(calls()).toEqual([`POST ${DEPLOYMENTS_PATH}`, `POST ${SERVICES_PATH}`]);
  const [createDeployment, createService] = fake.calls();
  expect(createDeployment.headers['content-type']).toMatch(/^application\/json/);
  const identity = { app: spec.name, 'lm.service-instance': spec.instanceUuid, 'lm.agent-index': '0', 'lm.exec-type': 'kubernetes' };
  const annotations = {
    'lm.service-instance': spec.instanceUuid,
    'lm.agent': '127.0.0.1',
    'lm.agent-index': '0',
    'lm.service-name': 'web',
    'lm.exec-type': 'kubernetes',
    'lm.replicas': '2',
  };
  expect(createDeployment.body).toEqual({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, namespace: 'default', labels: identity, annotations },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: spec.name } },
      template: {
        metadata: { labels: identity, annotations },
        spec: {
          containers: [
            {
              name: 'workload',
              image: 'nginx:1.27',
              imagePullPolicy: 'IfNotPresent',
              tty: true,
              ports: [
                { name: 'tcp-80', containerPort: 80, protocol: 'TCP' },
                { name: 'tcp-8080', containerPort: 8080, protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    },
  });
  expect(createService.body).toEqual({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.name, namespace: 'default', labels: identity, annotations },
    spec: {
      type: 'NodePort',
      selector: { app: spec.name },
      ports: [
        { name: 'tcp-80', protocol: 'TCP', port: 80, targetPort: 80 },
        { name: 'tcp-8080', protocol: 'TCP', port: 8080, targetPort: 8080 },
      ],
    },
  });

  const deployment = fake.object('deployments', 'default', spec.name);
  const service = fake.object('services', 'default', spec.name);
  expect(deployed.container_id).toBe(deployment?.metadata.uid);
  expect(deployed.agent_param).toBe('default');
  // The node ports Kubernetes allocated, in the order of exec_ports.
  const nodePorts = (service?.spec.ports as Array<{ port: number; nodePort: number }>).map((p) => p.nodePort);
  expect(deployed.ports).toEqual(nodePorts);
  expect(deployed.ports.every((p) => p >= 30000 && p <= 32767)).toBe(true);
});

test('start scales with a merge patch and waits for ready pods; stop scales to 0; remove deletes both', async () => {
  const runtime = runtimeFor();
  const spec = k8sSpec({ exec_type: 'kubernetes', exec_ports: [80], num_agents: 3 });
  const ref = refOf(spec, await runtime.deploy(spec));
  expect(await runtime.observe(ref)).toBe('waiting');
  // Let the controller report the creation first, so the only report after the scale is the delayed one.
  await eventually(
    'the creation observed',
    async () => (fake.object('deployments', 'default', spec.name)?.status.observedGeneration === 1 ? true : undefined),
    2_000,
    10,
  );
  fake.recorder.clear();

  fake.setReadyDelay(300);
  const startedAt = Date.now();
  await runtime.start(ref);
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
  const patches = fake.callsTo('PATCH', `${DEPLOYMENTS_PATH}/${spec.name}`);
  expect(patches).toHaveLength(1);
  expect(patches[0].headers['content-type']).toBe('application/merge-patch+json');
  expect(patches[0].body).toEqual({ spec: { replicas: 3 } });
  let deployment = fake.object('deployments', 'default', spec.name);
  expect(deployment?.spec.replicas).toBe(3);
  // Start returned only once the controller reported the pods ready (it took 300 ms), polling meanwhile.
  expect(deployment?.status).toMatchObject({ observedGeneration: 2, readyReplicas: 3, availableReplicas: 3 });
  expect(fake.callsTo('GET', `${DEPLOYMENTS_PATH}/${spec.name}`).length).toBeGreaterThan(2);
  expect(await runtime.observe(ref)).toBe('started');

  // A retried start writes nothing.
  await runtime.start(ref);
  expect(fake.callsTo('PATCH', DEPLOYMENTS_PATH)).toHaveLength(1);

  await runtime.stop(ref);
  expect(fake.callsTo('PATCH', DEPLOYMENTS_PATH).map((c) => c.body)).toEqual([{ spec: { replicas: 3 } }, { spec: { replicas: 0 } }]);
  deployment = fake.object('deployments', 'default', spec.name);
  expect(deployment?.spec.replicas).toBe(0);
  expect(deployment?.status.replicas).toBeUndefined();
  expect(await runtime.observe(ref)).toBe('stopped');

  await runtime.start(ref);
  expect(fake.object('deployments', 'default', spec.name)?.status.readyReplicas).toBe(3);

  fake.recorder.clear();
  await runtime.remove(ref);
  // Both are read first: only objects carrying the instance's labels are deleted.
  expect(calls()).toEqual([
    `GET ${DEPLOYMENTS_PATH}/${spec.name}`,
    `GET ${SERVICES_PATH}/${spec.name}`,
    `DELETE ${DEPLOYMENTS_PATH}/${spec.name}`,
    `DELETE ${SERVICES_PATH}/${spec.name}`,
  ]);
  expect(fake.object('deployments', 'default', spec.name)).toBeUndefined();
  expect(fake.object('services', 'default', spec.name)).toBeUndefined();

  // Removing again meets 404s and is fine; the workload is gone for good.
  await runtime.remove(ref);
  expect(await runtime.observe(ref)).toBe('error');
  const missing = await rejection(runtime.start(ref));
  expect(missing.type).toBe(FailureType.WorkloadMissing);
  expect(missing.message).toContain('terminate the instance');
});

test('a second deploy meets 409 AlreadyExists and adopts both objects', async () => {
  const runtime = runtimeFor();
  const spec = k8sSpec({ exec_type: 'kubernetes', exec_ports: [80] });
  const first = await runtime.deploy(spec);
  fake.recorder.clear();
  const second = await runtime.deploy(spec);
  expect(second).toEqual(first);
  expect(calls()).toEqual([
    `POST ${DEPLOYMENTS_PATH}`,
    `GET ${DEPLOYMENTS_PATH}/${spec.name}`,
    `POST ${SERVICES_PATH}`,
    `GET ${SERVICES_PATH}/${spec.name}`,
  ]);
  expect(fake.objects('deployments')).toHaveLength(1);
  expect(fake.objects('services')).toHaveLength(1);
});

test('a same-named Deployment that is not ours is refused for good, saying what to delete', async () => {
  const spec = k8sSpec();
  fake.seed('deployments', 'default', {
    metadata: { name: spec.name, labels: { app: spec.name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: spec.name } },
      template: { metadata: { labels: { app: spec.name } }, spec: { containers: [{ name: 'x', image: 'other:1' }] } },
    },
  });
  const err = await rejection(runtimeFor().deploy(spec));
  expect(err.type).toBe(FailureType.InvalidSpec);
  expect(err.nonRetryable).toBe(true);
  expect(err.message).toContain(`kubectl delete deployment ${spec.name} -n default`);
  expect(fake.objects('services')).toHaveLength(0);
});

test('an agent address that is no valid label value (IPv6) stays in the annotations only', async () => {
  const spec = k8sSpec({ exec_type: 'kubernetes' }, 'fd00::7');
  const deployed = await runtimeFor().deploy(spec);
  const deployment = fake.object('deployments', 'default', spec.name);
  expect(deployment?.metadata.labels).not.toHaveProperty('lm.agent');
  expect(deployment?.metadata.annotations).toMatchObject({ 'lm.agent': 'fd00::7' });
  // No ports: a headless Service.
  expect(fake.object('services', 'default', spec.name)?.spec).toMatchObject({ clusterIP: 'None' });
  expect(deployed.ports).toEqual([]);
});

describe('the API refusing or failing', () => {
  test('403 Forbidden: non-retryable, with the Status message and what to fix', async () => {
    fake.failNext('POST', DEPLOYMENTS_PATH, { status: 403, body: forbidden(DEPLOYMENTS, 'create', 'default') });
    const err = await rejection(runtimeFor().deploy(k8sSpec()));
    expect(err.type).toBe(FailureType.PeerRejected);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('deployments.apps is forbidden: User "system:anonymous" cannot create resource "deployments"');
    expect(err.message).toContain('give the LM\'s Kubernetes user the right to manage deployments and services in namespace "default"');
  });

  test("422 Invalid from the server's own validation: non-retryable, naming the field", async () => {
    const err = await rejection(runtimeFor().deploy(k8sSpec({ exec_type: 'kubernetes', exec_ports: [70000] })));
    expect(err.type).toBe(FailureType.InvalidSpec);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000');
    expect(fake.objects('deployments')).toHaveLength(0);
  });

  test('a namespace that does not exist: non-retryable, pointing at K8S_NAMESPACE', async () => {
    const err = await rejection(runtimeFor({ namespace: 'nowhere' }).deploy(k8sSpec()));
    expect(err.type).toBe(FailureType.PeerRejected);
    expect(err.message).toContain('namespaces "nowhere" not found');
    expect(err.message).toContain('K8S_NAMESPACE');
  });

  test('a Service refused for good takes its Deployment back: no orphan', async () => {
    fake.failNext('POST', SERVICES_PATH, { status: 403, body: forbidden(SERVICES, 'create', 'default') });
    const spec = k8sSpec();
    const err = await rejection(runtimeFor().deploy(spec));
    expect(err.type).toBe(FailureType.PeerRejected);
    expect(err.message).toContain('services is forbidden');
    expect(fake.object('deployments', 'default', spec.name)).toBeUndefined();
    expect(calls()).toEqual([`POST ${DEPLOYMENTS_PATH}`, `POST ${SERVICES_PATH}`, `DELETE ${DEPLOYMENTS_PATH}/${spec.name}`]);
  });

  test('500: retryable', async () => {
    fake.failNext('POST', DEPLOYMENTS_PATH, { status: 500 });
    const err = await rejection(runtimeFor().deploy(k8sSpec()));
    expect(err.type).toBe(FailureType.RuntimeUnavailable);
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('HTTP 500');
  });

  test('API server down: retryable, saying where it looked', async () => {
    await fake.setDown(true, 'refuse');
    const err = await rejection(runtimeFor().deploy(k8sSpec()));
    expect(err.type).toBe(FailureType.RuntimeUnavailable);
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain(`the Kubernetes API at ${fake.url}`);
    expect(err.message).toContain('K8S_PROXY');
  });

  test('an API call that hangs is cut by the request timeout: retryable', async () => {
    fake.hang('POST', DEPLOYMENTS_PATH, Infinity);
    const started = Date.now();
    const err = await rejection(runtimeFor({ requestTimeoutMs: 300 }).deploy(k8sSpec()));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.type).toBe(FailureType.RuntimeUnavailable);
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('is not reachable');
  });
});

describe('pods that do not become ready', () => {
  test('never ready: start fails after its bounded wait, says what it saw, and scales back to 0', async () => {
    const runtime = runtimeFor({ startTimeoutMs: 800 });
    const spec = k8sSpec();
    const ref = refOf(spec, await runtime.deploy(spec));
    fake.setPodsWaiting({ reason: 'ContainerCreating' });
    const started = Date.now();
    const err = await rejection(runtime.start(ref));
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err.type).toBe(FailureType.WorkloadExited);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(/was not ready within 1 s \(0\/1 ready; pod lm-[^:]+: ContainerCreating\)/);
    expect(fake.object('deployments', 'default', spec.name)?.spec.replicas).toBe(0);
  });

  test("ImagePullBackOff: start fails at once, as an image problem, with the kubelet's words", async () => {
    const runtime = runtimeFor({ startTimeoutMs: 10_000 });
    const spec = k8sSpec({ exec_type: 'kubernetes', exec: 'lm-test/not-here:1.0' });
    const ref = refOf(spec, await runtime.deploy(spec));
    fake.setPodsWaiting({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "lm-test/not-here:1.0"' });
    const started = Date.now();
    const err = await rejection(runtime.start(ref));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err.type).toBe(FailureType.ImageNotFound);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('ImagePullBackOff: Back-off pulling image "lm-test/not-here:1.0"');
    expect(err.message).toContain('Make image "lm-test/not-here:1.0" pullable');
    expect(fake.callsTo('GET', '/api/v1/namespaces/default/pods')[0].query).toEqual({ labelSelector: `app=${spec.name}` });
  });
});
