/**
 * Workload logs (real Temporal, real Docker): a container that prints known lines on stdout and stderr, read
 * through `GET …/<uuid>/logs` tagged with agent and container; tail bounds them; follow receives the lines
 * logged after it opened and ends when the instance is terminated; the internal endpoint serves another LM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sweepComposeProject } from '../../activities/runtime/compose/sweep-compose-project';
import { submit } from '../support/api-calls';
import { startComposeFileServer, type ComposeFileServer } from '../support/compose-file-server';
import { docker } from '../support/docker-state';
import { startLm, type LmHarness } from '../support/lm-harness';
import { openNdjson } from '../support/ndjson-stream';
import { BUSYBOX_IMAGE, ensureLoggingImage } from '../support/test-images';
import { withoutKubeconfig } from '../support/without-kubeconfig';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../fakes/kubernetes-api';
import { uuidOf } from '../../workflows/model/instance';

interface LogRecord {
  kind: 'line' | 'notice' | 'end';
  agent?: string;
  source?: string;
  stream?: string;
  at?: string | null;
  line?: string;
  message?: string;
  reason?: string;
}

const NAMESPACE = 'lm-logs';
let lm: LmHarness;
let fake: FakeKubernetesApi;
/** Closed before the LM stops: an answer still open would hold its server's close. */
const opened: Array<{ close(): void }> = [];
let files: ComposeFileServer;
let workingDir: string;
const projects: string[] = [];

beforeAll(async () => {
  ensureLoggingImage();
  fake = await startFakeKubernetesApi({ namespaces: [NAMESPACE], readyDelayMs: 50 });
  files = await startComposeFileServer();
  workingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-logs-e2e-'));
  lm = await withoutKubeconfig(() => startLm({ K8S_PROXY: fake.url, K8S_NAMESPACE: NAMESPACE, WORKING_DIR_VOLUME: workingDir }));
});

afterAll(async () => {
  for (const stream of opened) stream.close();
  for (const project of projects) await sweepComposeProject(docker, project, 'unix:///var/run/docker.sock').catch(() => undefined);
  await lm?.stop();
  await fake?.close();
  await files?.close();
  fs.rmSync(workingDir, { recursive: true, force: true });
});

function parse(text: string): LogRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogRecord);
}

async function logs(uuid: string, query = ''): Promise<{ status: number; records: LogRecord[]; contentType: string }> {
  const response = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/logs${query}`, { responseType: 'text' });
  return {
    status: response.status,
    records: response.status === 200 ? parse(response.data as string) : [],
    contentType: String(response.headers['content-type']),
  };
}

const ticks = (records: LogRecord[]) =>
  records.filter((r) => r.kind === 'line' && /^tick \d+$/.test(r.line ?? '')).map((r) => Number(r.line?.split(' ')[1]));

test('the lines a container prints, tagged with agent, container and stream; tail bounds them; follow gets new ones until terminate', async () => {
  const { uuid } = await submit(lm.api, { image: ensureLoggingImage(), name: 'logger' });
  lm.made.push(uuid);
  const source = `lm-${uuid}-0`;
  // Give it time to print a few ticks.
  await new Promise((resolve) => setTimeout(resolve, 1500));

  const all = await logs(uuid);
  expect(all.status).toBe(200);
  expect(all.contentType).toMatch(/application\/x-ndjson/);
  // The docker runtime gives its containers a TTY, which keeps stdout and stderr as one stream.
  expect(all.records.find((r) => r.line === 'hello from stdout')).toMatchObject({
    kind: 'line',
    agent: '127.0.0.1#0',
    source,
    stream: 'combined',
  });
  expect(all.records.find((r) => r.line === 'hello from stderr')).toMatchObject({
    kind: 'line',
    agent: '127.0.0.1#0',
    source,
    stream: 'combined',
  });
  expect(all.records.find((r) => r.line === 'hello from stdout')?.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(all.records[all.records.length - 1]).toEqual({ kind: 'end', reason: 'all logged lines read' });
  // In time order: the greeting first, ticks counting up.
  const seen = ticks(all.records);
  expect(seen.length).toBeGreaterThan(0);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));

  const tail = await logs(uuid, '?tail=1');
  expect(tail.records.filter((r) => r.kind === 'line')).toHaveLength(1);

  // The same lines as the internal endpoint serves them to another agent's LM.
  const internal = await lm.api.get(
    `/api/v2/lm/service-instance-int/${uuid}/logs?agent_index=0&agent_url=127.0.0.1&exec_type=docker&tail=5`,
    { responseType: 'text' },
  );
  expect(internal.status).toBe(200);
  expect(parse(internal.data as string).filter((r) => r.kind === 'line')).toHaveLength(5);

  const followed = await openNdjson<LogRecord>(lm.api, `/api/v2/lm/service-instances/${uuid}/logs?follow=true&tail=0`);
  opened.push(followed);
  expect(followed.status).toBe(200);
  const newest = Math.max(...seen);
  await followed.waitFor((r) => r.kind === 'line' && Number(r.line?.split(' ')[1]) > newest + 2, 20_000);
  expect(followed.records.some((r) => r.line === 'hello from stdout')).toBe(false);

  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.status).toBe(200);
  await Promise.race([
    followed.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('follow did not end after terminate')), 15_000)),
  ]);
  const last = followed.records[followed.records.length - 1];
  expect(last.kind).toBe('end');
  expect(last.reason).toMatch(/terminated|ended/);
});

test('bad queries are 400s that say what to send; an unknown instance is a 404', async () => {
  const { uuid } = await submit(lm.api, { image: ensureLoggingImage(), name: 'logger' });
  lm.made.push(uuid);
  const agent = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/logs?agent=10.9.9.9`);
  expect(agent.status).toBe(400);
  expect(agent.data.message).toMatch(/agent "10.9.9.9" is not one of the instance's agents: use 127.0.0.1#0/);
  const since = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/logs?since=yesterday`);
  expect(since.status).toBe(400);
  expect(since.data.message).toMatch(/since "yesterday" is not a time/);
  const tail = await lm.api.get(`/api/v2/lm/service-instances/${uuid}/logs?tail=-1`);
  expect(tail.status).toBe(400);
  const missing = await lm.api.get('/api/v2/lm/service-instances/00000000-0000-4000-8000-000000000000/logs');
  expect(missing.status).toBe(404);
  // since in the future: nothing yet, but a well-formed answer.
  const future = await logs(uuid, `?since=${Math.floor(Date.now() / 1000) + 3600}`);
  expect(future.records.filter((r) => r.kind === 'line')).toHaveLength(0);
  expect(future.records[future.records.length - 1].kind).toBe('end');
});

test("Kubernetes: the lines of every pod of the Deployment, through the API server's pods/log, followed until terminate", async () => {
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name: 'k8s-logger', exec: BUSYBOX_IMAGE, exec_type: 'kubernetes', exec_ports: [80], num_agents: 2 },
  });
  expect(response.status).toBe(200);
  const uuid = uuidOf(response.data.service_instance.id as string);
  const deployment = `lm-${uuid}-0`;
  fake.appendPodLog(NAMESPACE, deployment, 'workload', 'pod says hello');

  const read = await logs(uuid);
  const lines = read.records.filter((r) => r.kind === 'line');
  // Two replicas, one container each: the line from each pod, tagged pod/container.
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    expect(line).toMatchObject({ agent: '127.0.0.1#0', stream: 'combined', line: 'pod says hello' });
    expect(line.source).toMatch(new RegExp(`^${deployment}-[0-9a-f]{10}-x{0,4}[0-9a-z]+/workload$`));
    expect(line.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  }
  expect(new Set(lines.map((l) => l.source)).size).toBe(2);

  // The API server's sinceTime has whole seconds: the follow opens in a later second than the first line.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const followed = await openNdjson<LogRecord>(lm.api, `/api/v2/lm/service-instances/${uuid}/logs?follow=true&tail=0`);
  opened.push(followed);
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    fake.appendPodLog(NAMESPACE, deployment, 'workload', 'a later line');
    await followed.waitFor((r) => r.line === 'a later line', 10_000);
    expect(followed.records.some((r) => r.line === 'pod says hello')).toBe(false);
    const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    expect(terminated.status).toBe(200);
    await Promise.race([
      followed.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('follow did not end after terminate')), 15_000)),
    ]);
    expect(followed.records[followed.records.length - 1].kind).toBe('end');
  } finally {
    followed.close();
  }
});

test('compose: each service of the project, stdout and stderr apart (no TTY), tagged service/container', async () => {
  const url = files.put('logger.yml', `services:\n  talker:\n    image: ${ensureLoggingImage()}\n  quiet:\n    image: ${BUSYBOX_IMAGE}\n`);
  const response = await lm.api.post('/api/v2/lm/service?wait=true', {
    service: { name: 'compose-logger', exec: url, exec_type: 'docker-compose' },
  });
  expect(response.status).toBe(200);
  const uuid = uuidOf(response.data.service_instance.id as string);
  projects.push(`lm-${uuid}`);
  lm.made.push(uuid);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const read = await logs(uuid);
  const out = read.records.find((r) => r.line === 'hello from stdout');
  const err = read.records.find((r) => r.line === 'hello from stderr');
  expect(out).toMatchObject({ agent: '127.0.0.1#0', stream: 'stdout' });
  expect(err).toMatchObject({ agent: '127.0.0.1#0', stream: 'stderr' });
  expect(out?.source).toMatch(new RegExp(`^talker/lm-${uuid}[-_]talker[-_]1$`));
  expect(read.records.filter((r) => r.kind === 'notice')).toEqual([]);
});
