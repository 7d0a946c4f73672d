/** A real Temporal dev server for tests (the same binary the LM uses), started and stopped by the test run. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { freePort } from './free-port';
import { temporalBinary } from './temporal-binary';

export interface DevServer {
  address: string;
  port: number;
  dbFile: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  port?: number;
  /** Persist to this SQLite file (instances survive a restart); in memory when absent. */
  dbFile?: string;
  extraArgs?: string[];
  /** Serve the Web UI on this port (the run's shared server has none). */
  uiPort?: number;
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`temporal dev server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const ui = options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)];
  const args = ['server', 'start-dev', ...ui, '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(temporalBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return {
    address,
    port,
    dbFile: options.dbFile ?? null,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** Used by global teardown, which only gets the pid. */
export function killProcess(pid: number): void {
  spawnSync('kill', ['-TERM', String(pid)]);
}
