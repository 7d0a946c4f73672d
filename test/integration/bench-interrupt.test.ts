/**
 * A bench stopped half-way (Ctrl-C, a timeout's SIGTERM) leaves nothing behind: neither the containers its
 * instances made nor its Temporal dev server. Runs the real bench (bench/terminate-all, compiled by
 * `npm run build:dev`) on the real engine, and interrupts it while it is making its instances.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LABEL_CLUSTER, LABEL_SERVICE } from '../../activities/runtime/labels';
import { assertDockerAvailable } from '../support/docker-available';
import { docker } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { PROJECT_ROOT } from '../support/temporal-binary';

jest.setTimeout(300_000);

const BENCH = path.join(PROJECT_ROOT, '.build', 'bench', 'terminate-all.js');

let bench: ChildProcess | null = null;
let devServerPid: number | null = null;
let cluster: string | null = null;

beforeAll(() => {
  assertDockerAvailable();
  // The bench as scripts/bench.sh runs it: compiled from this checkout.
  const build = spawnSync('npm', ['run', '--silent', 'build:dev'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:dev failed:\n${build.stdout}\n${build.stderr}`);
});

// Whatever a failed case left, so the next case sees only its own bench.
afterEach(async () => {
  bench?.kill('SIGKILL');
  if (devServerPid !== null && alive(devServerPid)) process.kill(devServerPid, 'SIGKILL');
  if (cluster !== null) {
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${cluster}`] } });
    await Promise.allSettled(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  }
  bench = null;
  devServerPid = null;
  cluster = null;
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is gone for this purpose: it holds no port and runs nothing.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** The Temporal dev server the bench started: its child process running `temporal server start-dev`. */
function devServerOf(parent: number): number | null {
  const children = spawnSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  for (const child of children.map(Number)) {
    const cmdline = fs.readFileSync(`/proc/${child}/cmdline`, 'utf8');
    if (cmdline.includes('start-dev')) return child;
  }
  return null;
}

test.each(['SIGINT', 'SIGTERM'] as const)(
  '%s: the bench ends its dev server, removes its containers and exits as the signal asks',
  async (signal) => {
    const since = Math.floor(Date.now() / 1000);
    let output = '';
    const child = spawn(process.execPath, [BENCH, '40', '10', 'none'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    bench = child;
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );

    // Interrupted while making its instances: some of its containers exist, more are coming.
    const made = await eventually(
      'the bench made some of its containers',
      async () => {
        const ours = (await docker.listContainers({ all: true, filters: { label: [LABEL_SERVICE, LABEL_CLUSTER] } })).filter(
          (c) => c.Labels[LABEL_SERVICE].startsWith('terminate-all-') && c.Created >= since,
        );
        return ours.length >= 5 ? ours : undefined;
      },
      180_000,
    );
    cluster = made[0].Labels[LABEL_CLUSTER];
    devServerPid = devServerOf(child.pid ?? -1);
    expect(devServerPid).not.toBeNull();

    child.kill(signal);
    const exit = await exited;
    const pid = devServerPid ?? -1;

    expect({ exit, output: output.slice(-2000) }).toEqual({
      exit: { code: signal === 'SIGINT' ? 130 : 143, signal: null },
      output: expect.any(String),
    });
    await eventually('the dev server is gone', async () => (alive(pid) ? undefined : true), 10_000);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${cluster}`] } });
    expect(left.map((c) => c.Names[0])).toEqual([]);
    cluster = null;
    devServerPid = null;
  },
);
