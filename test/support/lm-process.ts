/** The LM worker or API as a real process (the built `dist/…/main.js`), so a test can kill or stop it. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './temporal-binary';

export const WORKER_MAIN = path.join(PROJECT_ROOT, 'dist', 'worker', 'main.js');
export const API_MAIN = path.join(PROJECT_ROOT, 'dist', 'api', 'main.js');
export const LMCTL_MAIN = path.join(PROJECT_ROOT, 'dist', 'cli', 'lmctl.js');

/**
 * lmctl's environment in a test: as a script on a CI machine runs it (pipes, `CI` set, no FORCE_COLOR from jest),
 * where it must print no colours.
 */
export function lmctlEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', ...extra };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  return env;
}

export interface LmProcess {
  process: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function startWorkerProcess(env: Record<string, string>): LmProcess {
  return startLmProcess(WORKER_MAIN, env);
}

export function startApiProcess(env: Record<string, string>): LmProcess {
  return startLmProcess(API_MAIN, env);
}

function startLmProcess(main: string, env: Record<string, string>): LmProcess {
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build (scripts/test.sh does)`);
  const child = spawn(process.execPath, [main], {
    // As the in-process harness: observation and reaping only where a test turns them on.
    env: { ...process.env, LM_LOG_LEVEL: 'warn', LM_WATCH_DOCKER_EVENTS: 'false', LM_SWEEP_INTERVAL_S: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    process: child,
    output: () => output,
    kill: (signal) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
