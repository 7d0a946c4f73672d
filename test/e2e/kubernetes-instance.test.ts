/**
 * kubernetes instances through the API (real Temporal, in-process LM) against the fake Kubernetes API server
 * reached through K8S_PROXY, as with "kubectl proxy" (no cluster can run on these machines).
 */
import type { AxiosResponse } from 'axios';
import { uuidOf, type ServiceInstance } from '../../workflows/model/instance';
import { operate } from '../support/api-calls';
import { startLm, type LmHarness } from '../support/lm-harness';
import { withoutKubeconfig } from '../support/without-kubeconfig';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../fakes/kubernetes-api';
import { forbidden } from '../fakes/kubernetes-status';
import { DEPLOYMENTS } from '../fakes/kubernetes-store';

const NAMESPACE = 'lm-e2e';
let fake: FakeKubernetesApi;
let lm: LmHarness;

beforeAll(async () => {
  fake = await startFakeKubernetesApi({ namespaces: [NAMESPACE], readyDelayMs: 100 });
  lm = await withoutKubeconfig(() => startLm({ K8S_PROXY: fake.url, K8S_NAMESPACE: NAMESPACE }));
});

afterAll(async () => {
  await lm?.stop();
  await fake?.close();
});

function submitK8s(service: Record<string, unknown>): Promise<AxiosResponse> {
  return lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name: 'k8s-web', exec: BUSYBOX_IMAGE, exec_type: 'kubernetes', exec_ports: [80], ...service },
  });
}

test('submit, stop, start and DELETE drive the Deployment and Service in K8S_NAMESPACE', async () => {
  const response = await submitK8s({ num_agents: 2 });
  expect(response.status).toBe(200);
  const instance = response.data.service_instance as ServiceInstance;
  expect(instance.status).toBe('started');
  const [agent] = instance.agents;
  expect(agent.status).toBe('started');
  const uuid = uuidOf(instance.id);

  let deployment = fake.object('deployments', NAMESPACE, agent.name);
  const service = fake.object('services', NAMESPACE, agent.name);
  expect(deployment?.metadata.uid).toBe(agent.container_id);
  expect(deployment?.metadata.annotations).toMatchObject({ 'lm.service-instance': uuid, 'lm.replicas': '2' });
  expect(deployment?.spec.replicas).toBe(2);
  expect(deployment?.status.readyReplicas).toBe(2);
  expect(agent.ports).toEqual([(service?.spec.ports as Array<{ nodePort: number }>)[0].nodePort]);

  const stopped = await operate(lm.api, uuid, 'stop');
  expect(stopped.status).toBe(200);
  expect(stopped.data.service_instance.status).toBe('stopped');
  deployment = fake.object('deployments', NAMESPACE, agent.name);
  expect(deployment?.spec.replicas).toBe(0);
  expect(deployment?.status.replicas).toBeUndefined();

  const started = await operate(lm.api, uuid, 'start');
  expect(started.data.service_instance.status).toBe('started');
  expect(fake.object('deployments', NAMESPACE, agent.name)?.status.readyReplicas).toBe(2);

  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.status).toBe(200);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(fake.object('deployments', NAMESPACE, agent.name)).toBeUndefined();
  expect(fake.object('services', NAMESPACE, agent.name)).toBeUndefined();
  expect(fake.callsTo('DELETE', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${agent.name}`)).toHaveLength(1);
  expect(fake.callsTo('DELETE', `/api/v1/namespaces/${NAMESPACE}/services/${agent.name}`)).toHaveLength(1);
});

test('the original\'s "K8s" spelling works; a cluster that refuses gives an error instance with its reason', async () => {
  fake.failNext('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
    status: 403,
    body: forbidden(DEPLOYMENTS, 'create', NAMESPACE),
  });
  const response = await submitK8s({ exec_type: 'K8s' });
  expect(response.status).toBe(200);
  const instance = response.data.service_instance as ServiceInstance;
  expect(instance.status).toBe('error');
  expect(instance.agents[0].status).toBe('not-deployed');
  expect(instance.agents[0].error).toContain('deployments.apps is forbidden');
  expect(instance.agents[0].error).toContain(`namespace "${NAMESPACE}"`);
  // Refused for good: one attempt, no retries.
  expect(fake.callsTo('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`).filter((c) => c.fault === 'fail')).toHaveLength(1);
  expect(fake.objects('deployments', NAMESPACE).filter((d) => d.metadata.name === instance.agents[0].name)).toHaveLength(0);
});
