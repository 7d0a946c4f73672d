/**
 * A container of a compose instance that mounts the instance directory (`.:/project`, which the policy allows)
 * attacks the files the LM runs again at the next start: it rewrites its own compose file, or replaces a bind
 * mount's directory with a symbolic link to a host path. On the real engine and the real compose CLI: the next
 * start is refused for good naming the rule, nothing the attack asked for runs, and remove still cleans up.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { ComposeRuntime } from '../../activities/runtime/compose/compose-runtime';
import { composeProjectName } from '../../activities/runtime/labels';
import type { WorkloadRef } from '../../activities/runtime/workload';
import type { ComposeFileServer } from '../support/compose-file-server';
import { startComposeTestRuntime, type ComposeTestRuntime } from '../support/compose-test-runtime';
import { docker } from '../support/docker-state';
import { BUSYBOX_IMAGE } from '../support/test-images';
import { refOf, workloadSpec } from '../support/workload-spec';

let composeTest: ComposeTestRuntime;
let server: ComposeFileServer;
let runtime: ComposeRuntime;
const projects: string[] = [];

beforeAll(async () => {
  composeTest = await startComposeTestRuntime('lm-compose-tamper-');
  ({ server, runtime } = composeTest);
});

afterAll(() => composeTest.close(projects));

/** One service that mounts the instance directory and, once started, runs `attack` (a shell script) in it. */
function attackingFile(attack: string, extraVolumes: string[] = []): string {
  const volumes = ['.:/project', ...extraVolumes].map((v) => `      - ${v}\n`).join('');
  const script = [...attack.split('\n'), "trap 'exit 0' TERM", 'sleep 3600 & wait'].map((line) => `        ${line}\n`).join('');
  return `services:\n  app:\n    image: ${BUSYBOX_IMAGE}\n    volumes:\n${volumes}    command:\n      - sh\n      - -c\n      - |\n${script}`;
}

async function deployed(name: string, text: string): Promise<WorkloadRef> {
  const spec = workloadSpec({ exec: server.put(name, text), exec_type: 'docker-compose', name: 'tamper' });
  projects.push(composeProjectName(spec));
  return refOf(spec, await runtime.deploy(spec));
}

async function containersOf(project: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
}

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a container that rewrites its own compose file: the next start is refused and the rewrite never runs', async () => {
  const evil = `  evil:\n    image: ${BUSYBOX_IMAGE}\n    privileged: true\n`;
  const ref = await deployed('rewrite.yml', attackingFile(`cat >> /project/docker-compose.yml <<'EOF'\n${evil}EOF`));
  const composeFile = path.join(ref.agent_param, 'docker-compose.yml');
  await runtime.start(ref);
  await until('the container to rewrite the file', () => fs.readFileSync(composeFile, 'utf8').endsWith(evil));
  const [app] = await containersOf(ref.container_id);

  await runtime.stop(ref);
  await expect(runtime.start(ref)).rejects.toMatchObject({
    type: 'InvalidSpec',
    nonRetryable: true,
    message: expect.stringMatching(
      /^compose policy: start of project lm-\S+ on agent 127\.0\.0\.1 refused.*docker-compose\.yml changed since deploy/,
    ),
  });
  // Nothing ran: no "evil" service, the app container is the same one and still stopped; the file is as left.
  const after = await containersOf(ref.container_id);
  expect(after.map((c) => [c.Id, c.Labels['com.docker.compose.service'], c.State])).toEqual([[app.Id, 'app', 'exited']]);
  expect(fs.readFileSync(composeFile, 'utf8').endsWith(evil)).toBe(true);

  // Remove does not run `down` with the rewritten file, and still removes everything by label.
  await runtime.remove(ref);
  expect(await containersOf(ref.container_id)).toEqual([]);
  expect(fs.existsSync(ref.agent_param)).toBe(false);
  expect(fs.existsSync(`${ref.agent_param}.seal.json`)).toBe(false);
});

test('a container that replaces a bind-mounted directory with a link to a host path: the next start is refused', async () => {
  const outside = fs.mkdtempSync(path.join(composeTest.workingDir, 'outside-'));
  fs.writeFileSync(path.join(outside, 'secret'), 'host secret\n');
  const ref = await deployed(
    'symlink.yml',
    attackingFile(`/bin/busybox rm -rf /project/data\n/bin/busybox ln -s ${outside} /project/data`, ['./data:/data']),
  );
  const link = path.join(ref.agent_param, 'data');
  await runtime.start(ref);
  await until('the container to plant the link', () => fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() === true);
  const [app] = await containersOf(ref.container_id);

  await runtime.stop(ref);
  await expect(runtime.start(ref)).rejects.toMatchObject({
    type: 'InvalidSpec',
    nonRetryable: true,
    message: expect.stringContaining(
      `service "app", volumes[1] (line 6): bind mount source "./data" leads to ${outside} through a symbolic link, outside the instance directory`,
    ),
  });
  const after = await docker.getContainer(app.Id).inspect();
  expect(after.State.Status).toBe('exited');
  expect(after.Mounts.map((m) => m.Source)).not.toContain(outside);
  expect(fs.readdirSync(outside)).toEqual(['secret']);

  await runtime.remove(ref);
  expect(await containersOf(ref.container_id)).toEqual([]);
  expect(fs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('host secret\n');
});
