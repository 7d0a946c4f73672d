/**
 * A kubernetes instance follows its Deployment (real Temporal, in-process LM, the fake Kubernetes API through
 * K8S_PROXY: no cluster can run here). Only the worker's Deployment watch (LM_WATCH_KUBERNETES) wakes the
 * instances, no periodic observation: pods in a crash loop make the instance `error` with Kubernetes' reason,
 * healthy pods bring it back, a Deployment deleted by someone else is an error, and a worker that was away
 * when a Deployment broke finds it when its watch starts.
 */
import { uuidOf, type ServiceInstance, type TimelineEntry } from '../../workflows/model/instance';
import { getInstance } from '../support/api-calls';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { withoutKubeconfig } from '../support/without-kubeconfig';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../fakes/kubernetes-api';

const NAMESPACE = 'lm-drift';
let fake: FakeKubernetesApi;
let lm: LmHarness | null = null;
/** An LM that watches the fake cluster. */
function startWatchingLm(): Promise<LmHarness> {
  return withoutKubeconfig(() =>
    startLm({ K8S_PROXY: fake.url, K8S_NAMESPACE: NAMESPACE, LM_WATCH_KUBERNETES: 'true', LM_OBSERVE_INTERVAL_S: '0' }),
  );
}

beforeAll(async () => {
  fake = await startFakeKubernetesApi({ namespaces: [NAMESPACE], readyDelayMs: 50 });
  lm = await startWatchingLm();
});

afterAll(async () => {
  await lm?.stop();
  await fake?.close();
});

function api(): LmHarness['api'] {
  if (lm === null) throw new Error('no LM running');
  return lm.api;
}

async function submitK8s(): Promise<{ uuid: string; instance: ServiceInstance }> {
  const response = await api().post('/api/v2/lm/service?wait=true', {
    service: { name: 'k8s-drift', exec: BUSYBOX_IMAGE, exec_type: 'kubernetes', exec_ports: [80] },
  });
  expect(response.status).toBe(200);
  const instance = response.data.service_instance as ServiceInstance;
  expect(instance.status).toBe('started');
  return { uuid: uuidOf(instance.id), instance };
}

async function untilInstance(uuid: string, what: string, ok: (instance: ServiceInstance) => boolean): Promise<ServiceInstance> {
  return eventually(
    what,
    async () => {
      const instance = await getInstance(api(), uuid);
      return ok(instance) ? instance : undefined;
    },
    20_000,
  );
}

async function observations(uuid: string): Promise<TimelineEntry[]> {
  const response = await api().get(`/api/v2/lm/service-instances/${uuid}/timeline`);
  return (response.data.timeline as TimelineEntry[]).filter((e) => e.step === 'observe');
}

test('pods in a crash loop make the instance error; healthy again, it is started', async () => {
  const { uuid } = await submitK8s();
  expect(await observations(uuid)).toHaveLength(0);

  fake.setPodsWaiting({ reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' });
  const failed = await untilInstance(uuid, 'error from the crash loop', (i) => i.status === 'error');
  expect(failed.agents[0].status).toBe('error');
  expect(failed.agents[0].error).toMatch(/missing, failing or unhealthy on the runtime although the LM started it/);
  expect((await observations(uuid)).some((e) => e.outcome === 'failed')).toBe(true);

  fake.setPodsWaiting(null);
  const recovered = await untilInstance(uuid, 'started again', (i) => i.status === 'started');
  expect(recovered.agents[0].error).toBeNull();

  const terminated = await api().delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
}, 60_000);

test('a Deployment deleted by someone else makes the instance error', async () => {
  const { uuid, instance } = await submitK8s();
  fake.remove('deployments', NAMESPACE, instance.agents[0].name);
  const failed = await untilInstance(uuid, 'error after the deletion', (i) => i.status === 'error');
  expect(failed.agents[0].error).toMatch(/on the runtime although the LM started it/);
  // Terminate still removes what is left (the Service).
  const terminated = await api().delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(fake.object('services', NAMESPACE, instance.agents[0].name)).toBeUndefined();
}, 60_000);

test('a Deployment that broke while no worker watched is found when the watch starts', async () => {
  const { uuid } = await submitK8s();
  await lm?.stop();
  lm = null;
  fake.setPodsWaiting({ reason: 'ImagePullBackOff', message: 'Back-off pulling image' });
  // Let the controller report the broken pods before anyone watches again.
  await new Promise((resolve) => setTimeout(resolve, 300));
  lm = await startWatchingLm();
  const failed = await untilInstance(uuid, 'error found at the watch start', (i) => i.status === 'error');
  expect(failed.agents[0].status).toBe('error');
  fake.setPodsWaiting(null);
  await untilInstance(uuid, 'started again', (i) => i.status === 'started');
}, 60_000);
