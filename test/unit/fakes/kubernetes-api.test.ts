/**
 * The fake Kubernetes API answers as a real API server: Status errors, validation, generation and
 * observedGeneration, the three PATCH content types, the scale subresource, node ports and pods.
 */
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../../fakes/kubernetes-api';

let fake: FakeKubernetesApi;

beforeEach(async () => {
  fake = await startFakeKubernetesApi({ namespaces: ['default'], readyDelayMs: 10 });
});

afterEach(async () => {
  await fake.close();
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const SERVICES = '/api/v1/namespaces/default/services';

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function deployment(name: string, replicas = 1): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } },
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

test('create answers 201 with server fields; a second create is 409 AlreadyExists; a missing one is 404 NotFound', async () => {
  const created = await call('POST', DEPLOYMENTS, deployment('web'));
  expect(created.status).toBe(201);
  expect(created.json.metadata).toMatchObject({
    name: 'web',
    namespace: 'default',
    generation: 1,
    uid: expect.any(String),
    resourceVersion: expect.any(String),
  });

  const again = await call('POST', DEPLOYMENTS, deployment('web'));
  expect(again).toEqual({
    status: 409,
    json: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "web" already exists',
      reason: 'AlreadyExists',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 409,
    },
  });

  const missing = await call('GET', `${DEPLOYMENTS}/nope`);
  expect(missing.status).toBe(404);
  expect(missing.json).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'deployments.apps "nope" not found', code: 404 });
  expect(fake.calls().map((c) => `${c.method} ${c.path}`)).toEqual([
    `POST ${DEPLOYMENTS}`,
    `POST ${DEPLOYMENTS}`,
    `GET ${DEPLOYMENTS}/nope`,
  ]);
});

test('invalid names and a selector that does not match the template are 422 Invalid with causes', async () => {
  const badName = await call('POST', DEPLOYMENTS, deployment('Web_App'));
  expect(badName.status).toBe(422);
  expect(badName.json).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'metadata.name', reason: 'FieldValueInvalid' }] } });
  expect(String(badName.json.message)).toMatch(
    /^Deployment\.apps "Web_App" is invalid: metadata\.name: Invalid value: "Web_App": a lowercase RFC 1123 subdomain/,
  );

  const body = deployment('web');
  (body.spec as { selector: unknown }).selector = { matchLabels: { app: 'other' } };
  const mismatch = await call('POST', DEPLOYMENTS, body);
  expect(mismatch.status).toBe(422);
  expect(String(mismatch.json.message)).toContain('`selector` does not match template `labels`');

  const service = await call('POST', SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: '1svc' },
    spec: { ports: [{ port: 80 }] },
  });
  expect(service.status).toBe(422);
  expect(String(service.json.message)).toContain('a DNS-1035 label');
});

test('the controller reports a change only for the generation it saw', async () => {
  await call('POST', DEPLOYMENTS, deployment('web', 2));
  await settle();
  let read = await call('GET', `${DEPLOYMENTS}/web`);
  expect(read.json.status).toMatchObject({ observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2 });

  fake.setReadyDelay(10_000);
  const patched = await call('PATCH', `${DEPLOYMENTS}/web`, { spec: { replicas: 0 } }, 'application/merge-patch+json');
  expect(patched.status).toBe(200);
  expect(patched.json.metadata).toMatchObject({ generation: 2 });
  read = await call('GET', `${DEPLOYMENTS}/web`);
  expect(read.json.status).toMatchObject({ observedGeneration: 1, replicas: 2 });
});

test('PATCH takes JSON patch, merge patch and strategic merge patch; anything else is 415', async () => {
  await call('POST', DEPLOYMENTS, deployment('web'));
  const json = await call(
    'PATCH',
    `${DEPLOYMENTS}/web`,
    [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    'application/json-patch+json',
  );
  expect((json.json.spec as { replicas: number }).replicas).toBe(3);

  const strategic = await call(
    'PATCH',
    `${DEPLOYMENTS}/web`,
    { spec: { template: { spec: { containers: [{ name: 'c', image: 'img:2' }] } } } },
    'application/strategic-merge-patch+json',
  );
  const containers = (strategic.json.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec
    .containers;
  // Merged by name: the defaults of the existing container stay.
  expect(containers).toEqual([expect.objectContaining({ name: 'c', image: 'img:2', imagePullPolicy: 'IfNotPresent' })]);

  const failedTest = await call(
    'PATCH',
    `${DEPLOYMENTS}/web`,
    [{ op: 'test', path: '/spec/replicas', value: 9 }],
    'application/json-patch+json',
  );
  expect(failedTest.status).toBe(422);

  const apply = await call('PATCH', `${DEPLOYMENTS}/web`, { spec: {} }, 'application/apply-patch+yaml');
  expect(apply.status).toBe(415);
  expect(apply.json).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
  expect(fake.callsTo('PATCH', DEPLOYMENTS).map((c) => c.headers['content-type'])).toEqual([
    'application/json-patch+json',
    'application/strategic-merge-patch+json',
    'application/json-patch+json',
    'application/apply-patch+yaml',
  ]);
});

test('the scale subresource reads and writes spec.replicas; its 0 is omitted, as autoscaling/v1 does', async () => {
  await call('POST', DEPLOYMENTS, deployment('web', 0));
  const scale = await call('GET', `${DEPLOYMENTS}/web/scale`);
  expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: {} });
  const replace = await call(
    'PATCH',
    `${DEPLOYMENTS}/web/scale`,
    [{ op: 'replace', path: '/spec/replicas', value: 2 }],
    'application/json-patch+json',
  );
  expect(replace.status).toBe(422);
  const merge = await call('PATCH', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: 2 } }, 'application/merge-patch+json');
  expect(merge.json.spec).toEqual({ replicas: 2 });
  expect(fake.object('deployments', 'default', 'web')?.spec.replicas).toBe(2);
});

test('NodePort Services get node ports from 30000–32767 and keep them; DELETE answers the Service', async () => {
  const created = await call('POST', SERVICES, {
    metadata: { name: 'web' },
    spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] },
  });
  expect(created.status).toBe(201);
  const [port] = (created.json.spec as { ports: Array<{ nodePort: number; targetPort: number; protocol: string }> }).ports;
  expect(port.nodePort).toBeGreaterThanOrEqual(30000);
  expect(port.nodePort).toBeLessThanOrEqual(32767);
  expect(port).toMatchObject({ targetPort: 80, protocol: 'TCP' });
  const clash = await call('POST', SERVICES, {
    metadata: { name: 'other' },
    spec: { type: 'NodePort', ports: [{ port: 81, nodePort: port.nodePort }] },
  });
  expect(clash.status).toBe(422);
  expect(String(clash.json.message)).toContain('provided port is already allocated');
  const deleted = await call('DELETE', `${SERVICES}/web`);
  expect(deleted.status).toBe(200);
  expect(deleted.json).toMatchObject({ kind: 'Service', metadata: { name: 'web' } });
  expect((await call('DELETE', `${DEPLOYMENTS}/web`)).status).toBe(404);
});

test('pods follow the Deployments and can be held waiting; lists filter by label selector', async () => {
  await call('POST', DEPLOYMENTS, deployment('web', 2));
  await call('POST', DEPLOYMENTS, deployment('db', 1));
  await settle();
  let pods = await call('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
  expect(pods.json.items).toHaveLength(2);
  expect(pods.json.items).toEqual(
    expect.arrayContaining([expect.objectContaining({ status: expect.objectContaining({ phase: 'Running' }) })]),
  );

  fake.setPodsWaiting({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' });
  await settle();
  pods = await call('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Ddb');
  expect(pods.json.items).toEqual([
    expect.objectContaining({
      status: expect.objectContaining({
        phase: 'Pending',
        containerStatuses: [
          expect.objectContaining({
            ready: false,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' } },
          }),
        ],
      }),
    }),
  ]);
  const db = await call('GET', `${DEPLOYMENTS}/db`);
  expect(db.json.status).not.toHaveProperty('readyReplicas');
  const list = await call('GET', `${DEPLOYMENTS}?labelSelector=app!%3Dweb`);
  expect((list.json.items as Array<{ metadata: { name: string }; kind?: string }>).map((d) => d.metadata.name)).toEqual(['db']);
  expect(list.json).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
});

test('unknown namespaces are 404 on create; scripted faults answer a Status', async () => {
  const wrong = await call('POST', '/apis/apps/v1/namespaces/elsewhere/deployments', deployment('web'));
  expect(wrong).toMatchObject({ status: 404, json: { reason: 'NotFound', message: 'namespaces "elsewhere" not found' } });
  fake.failNext('GET', DEPLOYMENTS, { status: 500 });
  const failed = await call('GET', DEPLOYMENTS);
  expect(failed).toMatchObject({ status: 500, json: { kind: 'Status', reason: 'InternalError', code: 500 } });
});
