/**
 * The Kubernetes Deployment follower against the fake API server (no cluster can run here), reached as through
 * `kubectl proxy`: it lists, reports the Deployments that are not available, then watches every namespace;
 * a watch the server ends resumes from the last resourceVersion; a compacted one (410 Expired) lists again;
 * an API server that goes away is reconnected to; one that refuses every namespace (a namespaced Role) has the
 * follower follow K8S_NAMESPACE alone.
 */
import { randomUUID } from 'node:crypto';
import { followDeploymentEvents } from '../../activities/runtime/kubernetes/deployment-events';
import type { RuntimeEventFollower } from '../../activities/runtime/runtime-events';
import { createLogger } from '../../common/logger';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../fakes/kubernetes-api';
import { forbidden } from '../fakes/kubernetes-status';
import { DEPLOYMENTS } from '../fakes/kubernetes-store';
import type { RecordedCall } from '../fakes/call-recorder';
import { eventually } from '../support/eventually';

let fake: FakeKubernetesApi;
let follower: RuntimeEventFollower | null = null;
const reported: string[] = [];

function deploymentOf(uuid: string): Record<string, unknown> {
  const name = `lm-${uuid.slice(0, 8)}`;
  return {
    metadata: { name, labels: { app: name, 'lm.service-instance': uuid } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'workload', image: 'busybox:1.36' }] } },
    },
  };
}

/** Seeds a Deployment of a new instance in `namespace`; returns the instance uuid. */
function seedInstance(namespace = 'default'): string {
  const uuid = randomUUID();
  fake.seed('deployments', namespace, deploymentOf(uuid));
  return uuid;
}

const isWatch = (call: RecordedCall): boolean => call.query.watch === 'true';
const deploymentCalls = (): RecordedCall[] => fake.callsTo('GET', '/apis/apps/v1/deployments');

async function reportedEventually(uuid: string): Promise<void> {
  await eventually(`a report for ${uuid}`, async () => (reported.includes(uuid) ? true : undefined), 10_000);
}

function follow(): RuntimeEventFollower {
  return followDeploymentEvents({
    connection: { kind: 'proxy', url: fake.url },
    namespace: 'default',
    requestTimeoutMs: 5_000,
    logger: createLogger('k8s-events-test', 'error'),
    debounceMs: 100,
    onChanged: (uuid) => reported.push(uuid),
  });
}

beforeAll(async () => {
  fake = await startFakeKubernetesApi({ namespaces: ['default', 'other'], readyDelayMs: 20 });
});

afterAll(async () => {
  follower?.stop();
  await fake?.close();
});

test('at start: lists, reports the Deployments that are not available, then watches every namespace', async () => {
  const ready = seedInstance('other');
  await eventually('the first Deployment ready', async () =>
    (fake.object('deployments', 'other', `lm-${ready.slice(0, 8)}`)?.status.readyReplicas ?? 0) === 1 ? true : undefined,
  );
  // The controller never gets to this one: it stays short of ready pods.
  fake.setReadyDelay(3_600_000);
  const notReady = seedInstance('default');
  follower = follow();
  await reportedEventually(notReady);
  await eventually('the watch open', async () => (fake.openWatches() === 1 ? true : undefined));
  expect(reported).not.toContain(ready);
  const [list, watch] = deploymentCalls();
  expect(list.query).toMatchObject({ labelSelector: 'lm.service-instance' });
  expect(list.query.watch).toBeUndefined();
  expect(watch.query).toMatchObject({
    watch: 'true',
    labelSelector: 'lm.service-instance',
    resourceVersion: expect.stringMatching(/^\d+$/),
  });

  // A change in any namespace is reported: here, another client deletes the ready one.
  fake.remove('deployments', 'other', `lm-${ready.slice(0, 8)}`);
  await reportedEventually(ready);
});

test('a watch the server ends resumes from the last resourceVersion: nothing made meanwhile is missed', async () => {
  const before = deploymentCalls();
  fake.endWatches();
  const meanwhile = seedInstance();
  await reportedEventually(meanwhile);
  const after = deploymentCalls().slice(before.length);
  expect(after.filter((c) => !isWatch(c))).toHaveLength(0);
  const resumed = after.filter(isWatch);
  expect(resumed.length).toBeGreaterThanOrEqual(1);
  expect(Number(resumed[0].query.resourceVersion)).toBeGreaterThan(Number(before.filter(isWatch)[0].query.resourceVersion));
});

test('a resourceVersion compacted away (410 Expired) makes it list again, and report what is not available', async () => {
  const before = deploymentCalls().length;
  fake.endWatches();
  // Made and compacted away before the follower is back: only a new list can show it.
  const unseen = seedInstance();
  fake.compact();
  await reportedEventually(unseen);
  const after = deploymentCalls().slice(before);
  expect(after.filter((c) => !isWatch(c)).length).toBe(1);
  await eventually('watching again', async () => (fake.openWatches() === 1 ? true : undefined));
});

test('an API server that goes away is reconnected to; stop() ends the watch', async () => {
  await fake.setDown(true, 'refuse');
  fake.endWatches();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await fake.setDown(false);
  const later = seedInstance();
  await reportedEventually(later);
  expect(fake.openWatches()).toBe(1);

  follower?.stop();
  follower = null;
  await eventually('the watch closed', async () => (fake.openWatches() === 0 ? true : undefined));
  const count = reported.length;
  seedInstance();
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(reported).toHaveLength(count);
});

test('refused every namespace (403), it follows its own namespace only', async () => {
  // Cluster-wide list and watch are forbidden, as under a namespaced Role.
  fake.failNext('GET', '/apis/apps/v1/deployments', { status: 403, body: forbidden(DEPLOYMENTS, 'list', ''), times: Infinity });
  const before = fake.calls().length;
  follower = follow();
  try {
    const notReady = seedInstance('default');
    await reportedEventually(notReady);
    await eventually('watching the namespace', async () => (fake.openWatches() === 1 ? true : undefined));
    const paths = fake
      .calls()
      .slice(before)
      .map((c) => `${c.path}${isWatch(c) ? ' (watch)' : ''}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/apis/apps/v1/deployments',
        '/apis/apps/v1/namespaces/default/deployments',
        '/apis/apps/v1/namespaces/default/deployments (watch)',
      ]),
    );
    // Its own namespace's changes are seen; another namespace is out of its sight.
    const count = reported.length;
    const elsewhere = seedInstance('other');
    const here = seedInstance('default');
    await reportedEventually(here);
    expect(reported.slice(count)).not.toContain(elsewhere);
  } finally {
    follower.stop();
    follower = null;
    await fake.clearFaults();
  }
});
