/**
 * A Docker engine of a test's own, beside the machine's: its own dockerd with its own data root, exec root,
 * pidfile, socket and Linux bridge (its own subnet; no iptables rules, ports are published by docker-proxy on the
 * host's addresses), holding the offline test images (`docker save` from the machine's engine, `docker load`).
 * It can be stopped (or killed) and started again (same data) and is removed, with
 * everything it made, by `remove()`. Needs root, as dockerd does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { eventually } from './eventually';

/** The machine's engine, where the test images are built. */
const MACHINE_ENGINE = 'unix:///var/run/docker.sock';

export interface PrivateEngine {
  /** `unix:///…/docker.sock`: DOCKER_SOCKET for a LM, DOCKER_HOST for the docker CLI. */
  socket: string;
  docker: Docker;
  bridge: string;
  /** Running now. */
  running(): boolean;
  /** The last `chars` characters of its dockerd log: what a failing test shows. */
  logTail(chars?: number): string;
  /** Stops dockerd (its containers stop with it). */
  stop(): Promise<void>;
  /**
   * Kills dockerd (SIGKILL), as a crash or the OOM killer would: its containers keep running under their shims,
   * and the next start's restore stops them (dockerd 20.10 then leaves `unless-stopped` ones exited).
   */
  kill(): Promise<void>;
  /** Starts dockerd again on the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data, its bridge and its directory. */
  remove(): Promise<void>;
}

export interface PrivateEngineOptions {
  /** A short name (letters and digits): the bridge is `lmb<name>`, at most 15 characters. */
  name: string;
  /** Images to copy from the machine's engine (offline: they must exist there). */
  images: string[];
}

function run(command: string, args: string[], input?: Buffer): Buffer {
  const result = spawnSync(command, args, { input, maxBuffer: 1024 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr?.toString() ?? result.error}`);
  return result.stdout;
}

/** A /24 in 172.31.0.0/16 that no route of this machine uses yet. */
function freeSubnet(): string {
  const routes = run('ip', ['-4', 'route', 'show']).toString();
  for (let third = 200; third < 255; third += 1) {
    const prefix = `172.31.${third}.`;
    if (!routes.includes(prefix)) return prefix;
  }
  throw new Error('no free 172.31.x.0/24 subnet for a private Docker bridge');
}

/** Pids of the processes whose command line names `dir`: the engine's containerd shims. */
function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Running, as opposed to gone or a zombie (`Z` in /proc/<pid>/stat, after the command's name in parentheses). */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * A start that dockerd's stop cut short leaves its shim, and the container's process under it, running: dockerd
 * no longer knows them, so removing its containers does not end them. Killed by pid, the container's first.
 */
function killLeftovers(dir: string): void {
  for (const shim of processesNaming(dir)) {
    const children = spawnSync('pgrep', ['-P', String(shim)])
      .stdout.toString()
      .split('\n')
      .filter((pid) => pid !== '');
    for (const pid of [...children.map(Number), shim]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/** The network namespaces a stopped dockerd left mounted under `dir`, which would keep it from being removed. */
function unmountUnder(dir: string): void {
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '');
  for (const target of mounts.filter((m) => m.startsWith(`${dir}/`)).reverse()) spawnSync('umount', ['-l', target]);
}

export async function startPrivateEngine(options: PrivateEngineOptions): Promise<PrivateEngine> {
  if (!/^[a-z0-9]{1,12}$/.test(options.name)) throw new Error(`engine name "${options.name}": 1–12 lowercase letters or digits`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lm-engine-${options.name}-`));
  const socketPath = path.join(dir, 'docker.sock');
  const socket = `unix://${socketPath}`;
  const bridge = `lmb${options.name}`;
  const prefix = freeSubnet();
  run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  run('ip', ['addr', 'add', `${prefix}1/24`, 'dev', bridge]);
  run('ip', ['link', 'set', bridge, 'up']);
  const docker = new Docker({ socketPath, timeout: 10_000 });
  let daemon: ChildProcess | null = null;
  let answered = false;
  const logPath = path.join(dir, 'dockerd.log');
  const log = fs.openSync(logPath, 'a');
  const logTail = (chars = 4000): string => fs.readFileSync(logPath, 'utf8').slice(-chars);

  const start = async (): Promise<void> => {
    const child = spawn(
      'dockerd',
      [
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'exec'),
        '--pidfile',
        path.join(dir, 'docker.pid'),
        '--host',
        socket,
        '--bridge',
        bridge,
        // The machine's engine owns the firewall: this one adds no rules (docker-proxy publishes its ports).
        '--iptables=false',
        '--ip-masq=false',
        '--storage-driver',
        'overlay2',
      ],
      { stdio: ['ignore', log, log] },
    );
    daemon = child;
    await eventually(
      `dockerd of ${options.name} answers`,
      async () => {
        if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}: ${logTail(2000)}`);
        await docker.ping();
        return true;
      },
      30_000,
      100,
    );
    answered = true;
  };

  const stop = async (): Promise<void> => {
    const child = daemon;
    daemon = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };

  const kill = async (): Promise<void> => {
    const child = daemon;
    daemon = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Its containerd dies with it (a parent-death signal), a moment later, and may stay a zombie until whoever
    // inherited it reaps it: the next dockerd would take that pid for a live containerd and wait for it in vain.
    const pidfile = path.join(dir, 'exec', 'containerd', 'containerd.pid');
    const containerd = Number(fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : NaN);
    if (Number.isInteger(containerd)) {
      await eventually(
        `containerd ${containerd} of ${options.name} ended`,
        async () => (isAlive(containerd) ? undefined : true),
        10_000,
        50,
      );
      fs.rmSync(pidfile, { force: true });
    }
  };

  const remove = async (): Promise<void> => {
    // Left stopped by a failing test: started again, so it removes its containers and its network namespaces itself.
    if (daemon === null && answered) await start().catch(() => undefined);
    if (daemon !== null) {
      // Its containers go with it (the machine's engine never sees them).
      const containers = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.allSettled(containers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    }
    await stop();
    killLeftovers(dir);
    unmountUnder(dir);
    spawnSync('ip', ['link', 'del', bridge]);
    fs.closeSync(log);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    await start();
    for (const image of options.images) {
      run('docker', ['--host', socket, 'load'], run('docker', ['--host', MACHINE_ENGINE, 'save', image]));
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    socket,
    docker,
    bridge,
    running: () => daemon !== null && daemon.exitCode === null,
    logTail,
    stop,
    kill,
    start,
    remove,
  };
}
