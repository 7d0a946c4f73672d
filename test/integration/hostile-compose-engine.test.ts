/**
 * The hostile-compose corpus on the real engine and the real compose CLI: every file the policy refuses is refused
 * by the agent's deploy, and none of them ever made a container (none listed, and no container create event on
 * the engine during the run for any of their projects).
 */
import type { ComposeRuntime } from '../../activities/runtime/compose/compose-runtime';
import { composeProjectName } from '../../activities/runtime/labels';
import type { ComposeFileServer } from '../support/compose-file-server';
import { startComposeTestRuntime, type ComposeTestRuntime } from '../support/compose-test-runtime';
import { docker } from '../support/docker-state';
import { hostileComposeCorpus } from '../support/hostile-compose';
import { workloadSpec } from '../support/workload-spec';

let composeTest: ComposeTestRuntime;
let server: ComposeFileServer;
let runtime: ComposeRuntime;
const projects = new Set<string>();

beforeAll(async () => {
  composeTest = await startComposeTestRuntime('lm-compose-corpus-');
  ({ server, runtime } = composeTest);
});

afterAll(() => composeTest.close(projects));

/** The projects of the container create events the engine saw between `since` and now (seconds). */
async function createdProjects(since: number): Promise<string[]> {
  const stream = await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ['container'], event: ['create'] },
  });
  const text = await new Promise<string>((resolve, reject) => {
    let all = '';
    stream.on('data', (chunk: Buffer) => (all += chunk.toString()));
    stream.on('end', () => resolve(all));
    stream.on('error', reject);
  });
  return text
    .split('\n')
    .filter(Boolean)
    .map(
      (line) =>
        (JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes?.['com.docker.compose.project'] ?? '',
    );
}

test('no refused file of the corpus makes a container on the real engine', async () => {
  const refused = hostileComposeCorpus().filter((file) => file.verdict === 'refused');
  expect(refused.length).toBeGreaterThanOrEqual(30);
  const since = Math.floor(Date.now() / 1000) - 1;
  const accepted: string[] = [];
  for (const file of refused) {
    const spec = workloadSpec({ exec: server.put(file.name, file.text), exec_type: 'docker-compose', name: 'corpus' });
    projects.add(composeProjectName(spec));
    const outcome = await runtime.deploy(spec).then(
      () => 'deployed',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    if (outcome === 'deployed') accepted.push(file.name);
  }
  expect(accepted).toEqual([]);
  expect(projects.size).toBe(refused.length);
  const ours = (await docker.listContainers({ all: true })).filter((c) => projects.has(c.Labels['com.docker.compose.project'] ?? ''));
  expect(ours.map((c) => c.Names)).toEqual([]);
  expect((await createdProjects(since)).filter((project) => projects.has(project))).toEqual([]);
}, 300_000);
