/**
 * lmctl against a real LM (the whole LM in the test process: real Temporal, real Docker), run as users run it:
 * the built `dist/cli/lmctl.js` in its own process, with LM_URL and LM_API_TOKEN. Every command, its `--json`
 * output parsed, its exit codes, and the live progress on a pseudo-terminal (`script`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLm, type LmHarness } from '../support/lm-harness';
import { LMCTL_MAIN, lmctlEnvironment } from '../support/lm-process';
import { PROJECT_ROOT } from '../support/temporal-binary';
import { BUSYBOX_IMAGE, ensureExitingImage, ensureLoggingImage } from '../support/test-images';

const LMCTL = LMCTL_MAIN;
const TOKEN = 'lmctl-test-token';
let lm: LmHarness;
let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

beforeAll(async () => {
  if (!fs.existsSync(LMCTL)) throw new Error(`${LMCTL} is missing: run npm run build (scripts/test.sh does)`);
  ensureLoggingImage();
  ensureExitingImage();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmctl-test-'));
  lm = await startLm({ LM_API_TOKEN: TOKEN });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await lm?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return lmctlEnvironment({ LM_URL: lm.baseUrl, LM_API_TOKEN: TOKEN, ...extra });
}

/** Killed after the suite: a follower left open by a failed test would hold the API's close. */
const children: ChildProcess[] = [];

function start(file: string, args: string[], environment: NodeJS.ProcessEnv): ChildProcess & { stdout: Readable; stderr: Readable } {
  // Never spawnSync: the LM under test runs in this process and must go on answering.
  const child = spawn(file, args, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** lmctl with stdout and stderr as pipes (no TTY), as in a script. */
function lmctl(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = start(process.execPath, [LMCTL, ...args], env(extra));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = <T>(run: Run): T => JSON.parse(run.stdout) as T;
const uuidIn = (text: string): string => /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(text)?.[1] ?? 'none';

function serviceFile(name: string, body: object, yaml: boolean): string {
  const file = path.join(dir, `${name}.${yaml ? 'yaml' : 'json'}`);
  const text = yaml
    ? Object.entries(body)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n')
    : JSON.stringify(body);
  fs.writeFileSync(file, text);
  return file;
}

test('run from a YAML service and a JSON submit body: exit 0 on started; ps, status, timeline read it (--json parsed)', async () => {
  const yaml = serviceFile('web', { name: 'lmctl-web', exec: BUSYBOX_IMAGE, exec_type: 'docker', exec_ports: [80] }, true);
  const ran = await lmctl(['run', yaml]);
  expect(ran.code).toBe(0);
  const uuid = uuidIn(ran.stdout);
  lm.made.push(uuid);
  expect(ran.stdout).toMatch(
    new RegExp(`^${uuid}  started  http://localhost:8233/namespaces/default/workflows/service-instance%2F${uuid}\\n$`),
  );
  // The progress went to stderr, one line per step (no TTY: no spinner frames, no colours).
  expect(ran.stderr).toMatch(/127\.0\.0\.1#0 deploy: deployed lm-/);
  expect(ran.stderr).toMatch(/127\.0\.0\.1#0 start: started lm-/);
  expect(ran.stderr).toMatch(/lmctl-web \([0-9a-f]{8}\): started in \d+\.\ds/);
  expect(ran.stderr).not.toContain('\u001b[');

  const body = serviceFile(
    'body',
    { service: { name: 'lmctl-body', exec: BUSYBOX_IMAGE, exec_type: 'docker' }, agents_list: [{ agent_ip: '127.0.0.1' }] },
    false,
  );
  const second = await lmctl(['run', body, '--json']);
  expect(second.code).toBe(0);
  const instance = json<{ id: string; status: string; service_name: string; ui_url: string }>(second);
  lm.made.push(uuidIn(instance.id));
  expect(instance).toMatchObject({ status: 'started', service_name: 'lmctl-body' });

  const ps = await lmctl(['ps', '--json']);
  expect(ps.code).toBe(0);
  const ids = json<Array<{ id: string }>>(ps).map((i) => i.id);
  expect(ids).toEqual(expect.arrayContaining([`service-instance/${uuid}`, instance.id]));
  const table = await lmctl(['ps', '--status', 'started']);
  expect(
    table.stdout
      .split('\n')[0]
      .split(/\s{2,}/)
      .map((h) => h.trim()),
  ).toEqual(['ID', 'NAME', 'STATUS', 'AGENTS', 'EXEC TYPE', 'AGE']);
  expect(table.stdout).toMatch(new RegExp(`${uuid.slice(0, 8)}\\s+lmctl-web\\s+started\\s+1/1\\s+docker\\s+\\d+[smhd]`));

  // A unique prefix, or service-instance/<uuid>, names the instance.
  const status = await lmctl(['status', uuid.slice(0, 8)]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(new RegExp(`ui_url\\s+http://localhost:8233/namespaces/default/workflows/service-instance%2F${uuid}`));
  expect(status.stdout).toMatch(/127\.0\.0\.1#0\s+started\s+lm-/);
  const statusJson = json<{ id: string; ui_url: string }>(await lmctl(['status', `service-instance/${uuid}`, '--json']));
  expect(statusJson.id).toBe(`service-instance/${uuid}`);

  const timeline = json<Array<{ step: string; outcome: string }>>(await lmctl(['timeline', uuid, '--json']));
  expect(timeline.map((e) => `${e.step} ${e.outcome}`)).toEqual(expect.arrayContaining(['deploy ok', 'start ok']));
  const timelineTable = await lmctl(['timeline', uuid.slice(0, 6)]);
  expect(timelineTable.stdout).toMatch(/^AT\s+STEP\s+OUTCOME\s+AGENT\s+MESSAGE/);
});

test('stop, start, restart and rm follow the operation until it settles; a terminated instance refuses start (exit 4)', async () => {
  const ran = await lmctl(['run', '--image', BUSYBOX_IMAGE, '--name', 'lmctl-ops', '--detach']);
  expect(ran.code).toBe(0);
  const uuid = ran.stdout.trim();
  lm.made.push(uuid);
  expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
  // Detached: it answers at once; an operation sent while the deploy runs would be refused (409), so wait.
  const deadline = Date.now() + 60_000;
  while (json<{ status: string }>(await lmctl(['status', uuid, '--json'])).status !== 'started' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  const followed = start(process.execPath, [LMCTL, 'timeline', uuid, '-f', '--json'], env());
  let streamed = '';
  followed.stdout.on('data', (c: Buffer) => (streamed += c.toString()));
  const followEnded = new Promise<number | null>((resolve) => followed.on('close', resolve));

  const stop = await lmctl(['stop', uuid, '--json']);
  expect(stop.code).toBe(0);
  expect(json<{ status: string }>(stop).status).toBe('stopped');
  expect(stop.stderr).toMatch(/stop: stopped lm-/);
  expect((await lmctl(['start', uuid])).code).toBe(0);
  const restart = await lmctl(['restart', uuid, '--json']);
  expect(restart.code).toBe(0);
  expect(json<{ status: string }>(restart).status).toBe('started');
  expect(restart.stderr).toMatch(/stop: stopped lm-[\s\S]*start: started lm-/);

  const rm = await lmctl(['rm', uuid]);
  expect(rm.code).toBe(0);
  expect(rm.stdout).toMatch(new RegExp(`^${uuid}  terminated\\n$`));
  expect(rm.stderr).toMatch(/remove: removed lm-/);
  // timeline -f ends by itself once the instance has ended, having printed every entry as JSON.
  expect(await followEnded).toBe(0);
  const steps = streamed
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { step: string }).step);
  expect(steps).toEqual(expect.arrayContaining(['deploy', 'stop', 'start', 'restart', 'remove']));

  const again = await lmctl(['start', uuid]);
  expect(again.code).toBe(4);
  expect(again.stderr).toMatch(/^lmctl: operation refused: the service instance is terminated/);
  const all = json<Array<{ id: string; status: string }>>(await lmctl(['ps', '--all', '--json']));
  expect(all.find((i) => i.id === `service-instance/${uuid}`)?.status).toBe('terminated');
  const current = json<Array<{ id: string }>>(await lmctl(['ps', '--json']));
  expect(current.some((i) => i.id === `service-instance/${uuid}`)).toBe(false);
});

test('logs prints what the workload prints, --json its records; -f gets new lines until rm', async () => {
  const ran = await lmctl(['run', '--image', ensureLoggingImage(), '--name', 'lmctl-logs']);
  expect(ran.code).toBe(0);
  const uuid = uuidIn(ran.stdout);
  lm.made.push(uuid);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const logs = await lmctl(['logs', uuid.slice(0, 8)]);
  expect(logs.code).toBe(0);
  expect(logs.stdout).toMatch(new RegExp(`^127\\.0\\.0\\.1#0 lm-${uuid}-0 \\| hello from stdout$`, 'm'));
  const records = (await lmctl(['logs', uuid, '--tail', '2', '--json'])).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string });
  expect(records.filter((r) => r.kind === 'line')).toHaveLength(2);
  expect(records[records.length - 1].kind).toBe('end');

  const follower = start(process.execPath, [LMCTL, 'logs', uuid, '-f', '--tail', '0'], env());
  let out = '';
  follower.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const ended = new Promise<number | null>((resolve) => follower.on('close', resolve));
  const deadline = Date.now() + 15_000;
  while (!/\| tick \d+\n[\s\S]*\| tick \d+\n/.test(out) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(out).not.toMatch(/hello from stdout/);
  expect(out).toMatch(/\| tick \d+\n[\s\S]*\| tick \d+\n/);
  expect((await lmctl(['rm', uuid])).code).toBe(0);
  expect(await ended).toBe(0);
});

test("failures: the API's message and the documented exit code", async () => {
  const missing = await lmctl(['run', path.join(dir, 'no-such-service.yaml')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/^lmctl: cannot read .*no-such-service\.yaml: ENOENT/);
  const nothing = await lmctl(['run']);
  expect(nothing.code).toBe(2);
  expect(nothing.stderr).toMatch(/nothing to run: give a service file \(YAML or JSON\) or --image/);

  const exits = await lmctl(['run', '--image', ensureExitingImage(), '--name', 'lmctl-exits']);
  expect(exits.code).toBe(5);
  lm.made.push(uuidIn(exits.stdout));
  expect(exits.stderr).toMatch(/lmctl: error: 127\.0\.0\.1: container lm-.* stopped right after start \(exit code 3\)/);

  const invalid = await lmctl(['run', '--image', 'Not An Image']);
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toMatch(/^lmctl: invalid request body: service\.exec: "Not An Image" is not a valid image reference/);
  expect((await lmctl(['status', 'ffffffff'])).code).toBe(3);
  expect((await lmctl(['status', '00000000-0000-4000-8000-000000000000'])).code).toBe(3);
  expect((await lmctl(['status', 'not-an-id!'])).code).toBe(2);

  const noToken = await lmctl(['ps'], { LM_API_TOKEN: '' });
  expect(noToken.code).toBe(8);
  expect(noToken.stderr).toMatch(/missing or wrong token/);
  const away = await lmctl(['ps', '--url', 'http://127.0.0.1:9']);
  expect(away.code).toBe(6);
  expect(away.stderr).toMatch(/cannot reach the LM at http:\/\/127\.0\.0\.1:9/);
  // An LM without the agents endpoint answers its generic 404: lmctl says what is missing.
  const older = http.createServer((req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: true, message: `no endpoint GET ${req.url}; the API is described at /api/v2/lm.html` }));
  });
  await new Promise<void>((resolve) => older.listen(0, '127.0.0.1', resolve));
  const agents = await lmctl(['agents', '--url', `http://127.0.0.1:${(older.address() as AddressInfo).port}`]);
  older.close();
  expect(agents.code).toBe(7);
  expect(agents.stderr).toMatch(/has no agents endpoint \(GET \/api\/v2\/lm\/agents\)/);
  const listed = await lmctl(['agents', '--json']);
  expect(listed.code).toBe(0);
  expect(json<Array<{ ip: string }>>(listed).map((a) => a.ip)).toContain('127.0.0.1');
  expect((await lmctl(['agents'])).stdout).toMatch(/^AGENT\s+ALIVE\s+ROLE\s+LAST SEEN\s+RUNTIMES\s+INSTANCES\s+REASON/);
  const unknown = await lmctl(['agents', '10.99.99.99']);
  expect(unknown.code).toBe(3);
});

test("on a terminal: a live spinner with each agent's step, and colours", async () => {
  const command = `${process.execPath} ${LMCTL} run --image ${BUSYBOX_IMAGE} --name lmctl-tty`;
  // `CI` in the environment turns the spinner off, as it should in CI logs; the terminal here is a real one.
  const terminal: NodeJS.ProcessEnv = { ...env(), TERM: 'xterm' };
  delete terminal.CI;
  // script (util-linux) runs lmctl on a pseudo-terminal and copies the screen to its stdout.
  const result = await new Promise<Run>((resolve) => {
    const child = start('script', ['-qfec', command, '/dev/null'], terminal);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
  });
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('\u001b[32m');
  // The screen as text: without its escape sequences (colours, cursor moves).
  const screen = stripVTControlCharacters(result.stdout);
  lm.made.push(uuidIn(screen));
  expect(screen).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] lmctl-tty \([0-9a-f]{8}\): (deploying|created-not-initialized)/);
  expect(screen).toMatch(/127\.0\.0\.1#0 (created|started)/);
  expect(screen).toMatch(/lmctl-tty \([0-9a-f]{8}\): .*started.* in \d+\.\ds/);
});

test("the README's example: the image start.sh makes offline, then lmctl run examples/web.yaml serves on its published port", async () => {
  const made = await new Promise<number | null>((resolve) => {
    const child = start('bash', ['-c', `source "${PROJECT_ROOT}/scripts/lib/provision.sh" && lm_ensure_example_image`], process.env);
    child.on('close', resolve);
  });
  expect(made).toBe(0);
  const ran = await lmctl(['run', path.join(PROJECT_ROOT, 'examples', 'web.yaml'), '--json']);
  expect(ran.code).toBe(0);
  const instance = json<{ id: string; status: string; agents: Array<{ ports: number[] }> }>(ran);
  lm.made.push(uuidIn(instance.id));
  expect(instance.status).toBe('started');
  const page = await fetch(`http://127.0.0.1:${instance.agents[0].ports[0]}/`);
  expect(await page.text()).toMatch(/Hello from the Lifecycle Manager/);
  const logs = await lmctl(['logs', instance.id]);
  expect(logs.stdout).toMatch(/web: serving \/www on port 80/);
  expect(logs.stdout).toMatch(/response:200/);
});
