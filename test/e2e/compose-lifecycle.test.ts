/**
 * docker-compose instances through the API (real Temporal, real Docker, real compose CLI, in-process LM):
 * submit, stop, start and terminate checked on the compose project's containers; bad compose input ends as an
 * `error` instance whose timeline says why (or a 400 at submit, once the API checks compose files itself).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AxiosResponse } from 'axios';
import type Docker from 'dockerode';
import { sweepComposeProject } from '../../activities/runtime/compose/sweep-compose-project';
import { uuidOf, type ServiceInstance, type TimelineEntry } from '../../workflows/model/instance';
import { INSTANCE_STATUSES } from '../../workflows/model/status';
import { getInstance, operate } from '../support/api-calls';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { docker } from '../support/docker-state';
import { freePort } from '../support/free-port';
import { startLm, type LmHarness } from '../support/lm-harness';
import { BUSYBOX_IMAGE } from '../support/test-images';

let lm: LmHarness;
let server: ComposeFileServer;
let workingDir: string;
const projects: string[] = [];

beforeAll(async () => {
  workingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-compose-e2e-'));
  server = await startComposeFileServer();
  lm = await startLm({ WORKING_DIR_VOLUME: workingDir });
});

afterAll(async () => {
  for (const project of projects) await sweepComposeProject(docker, project, 'unix:///var/run/docker.sock').catch(() => undefined);
  await lm?.stop();
  await server?.close();
  fs.rmSync(workingDir, { recursive: true, force: true });
});

async function submitCompose(url: string, name = 'compose-app'): Promise<AxiosResponse> {
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name, exec: url, exec_type: 'docker-compose', exec_ports: [] },
  });
  const instance = response.data?.service_instance as ServiceInstance | undefined;
  if (instance) projects.push(`lm-${uuidOf(instance.id)}`);
  return response;
}

async function statesOf(project: string): Promise<Record<string, string>> {
  const containers: Docker.ContainerInfo[] = await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`] },
  });
  return Object.fromEntries(containers.map((c) => [c.Labels['com.docker.compose.service'], c.State]));
}

async function timelineOf(uuid: string): Promise<TimelineEntry[]> {
  const response = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`);
  expect(response.status).toBe(200);
  return response.data.timeline as TimelineEntry[];
}

test('submit, stop, start and terminate a compose instance act on its compose project', async () => {
  const hostPort = await freePort();
  const url = server.put(
    'app.yml',
    `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n    ports:\n      - "${hostPort}:80"\n  sidecar:\n    image: ${BUSYBOX_IMAGE}\n`,
  );
  const submitted = await submitCompose(url);
  expect(submitted.status).toBe(200);
  const instance = submitted.data.service_instance as ServiceInstance;
  const uuid = uuidOf(instance.id);
  const project = `lm-${uuid}`;
  expect(instance.status).toBe('started');
  expect(instance.agents).toHaveLength(1);
  expect(instance.agents[0]).toMatchObject({
    status: 'started',
    container_id: project,
    ports: [hostPort],
    agent_param: path.join(workingDir, project),
  });
  expect(await statesOf(project)).toEqual({ web: 'running', sidecar: 'running' });
  expect(await (await fetch(`http://127.0.0.1:${hostPort}/`)).text()).toBe('lm-test\n');

  const stopped = await operate(lm.api, uuid, 'stop');
  expect(stopped.data.service_instance.status).toBe('stopped');
  expect(await statesOf(project)).toEqual({ web: 'exited', sidecar: 'exited' });

  const started = await operate(lm.api, uuid, 'start');
  expect(started.data.service_instance.status).toBe('started');
  expect(await statesOf(project)).toEqual({ web: 'running', sidecar: 'running' });

  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.status).toBe(200);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(await statesOf(project)).toEqual({});
  expect(fs.existsSync(path.join(workingDir, project))).toBe(false);
  expect((await getInstance(lm.api, uuid)).status).toBe('terminated');

  const steps = (await timelineOf(uuid)).filter((e) => e.outcome === 'ok').map((e) => e.step);
  expect(steps).toEqual(['deploy', 'start', 'deploy', 'stop', 'stop', 'start', 'start', 'remove', 'terminate']);
});

/**
 * A compose file that cannot be deployed is refused at submit with a 400 naming the problem, and nothing is
 * started (the agent-side refusal of the same problems is covered by test/integration/compose-runtime.test.ts).
 */
async function expectRefused(url: string, reason: RegExp): Promise<void> {
  // A name of its own: instances other suites left on the shared Temporal cannot count.
  const name = `refused-${randomUUID().slice(0, 8)}`;
  const response = await submitCompose(url, name);
  expect(response.status).toBe(400);
  expect(response.data.error).toBe(true);
  expect(response.data.message).toMatch(reason);
  const listed = await lm.api.get(`/api/v2/lm/service-instances/all?status=${INSTANCE_STATUSES.join(',')}&service=${name}`);
  expect(listed.status).toBe(200);
  expect(listed.data.count).toBe(0);
}

test('an unreachable compose URL is a 400 naming the URL', async () => {
  const port = await freePort();
  await expectRefused(
    `http://127.0.0.1:${port}/compose.yml`,
    new RegExp(`127\\.0\\.0\\.1:${port}/compose\\.yml cannot be fetched.*ECONNREFUSED`),
  );
});

test('a compose URL answering 404 is a 400 with the status', async () => {
  await expectRefused(`${server.baseUrl}/files/missing.yml`, /missing\.yml answered HTTP 404/);
});

test('invalid YAML is a 400 saying so', async () => {
  await expectRefused(server.put('broken.yml', 'services:\n  web:\n    image: [unclosed\n'), /invalid YAML/);
});

test('a privileged service is a 400 naming the service, the key and the line', async () => {
  const url = server.put('privileged.yml', `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n    privileged: true\n`);
  await expectRefused(url, /service "web", privileged \(line 4\).*LM_ALLOW_PRIVILEGED/);
});

test("a service the engine refuses to start: error at once with the engine's message, no retry loop", async () => {
  const url = server.put('refused.yml', `services:\n  web:\n    image: ${BUSYBOX_IMAGE}\n    command: ["/no/such/program"]\n`);
  const started = Date.now();
  const response = await submitCompose(url, 'refused');
  expect(response.status).toBe(200);
  const instance = response.data.service_instance as ServiceInstance;
  expect(instance.status).toBe('error');
  // One attempt: a retried step waits 1 s, 2 s, 4 s… and says so on the timeline.
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(instance.agents[0].error).toMatch(/OCI runtime create failed.*\/no\/such\/program/);
  const timeline = await timelineOf(uuidOf(instance.id));
  expect(timeline.some((e) => /^retrying /.test(e.message ?? ''))).toBe(false);
  expect(
    timeline.some(
      (e) =>
        (e.step === 'deploy' || e.step === 'start') && e.outcome === 'failed' && /cannot run a service of the file/.test(e.message ?? ''),
    ),
  ).toBe(true);
}, 60_000);
